#include "common/fwgen_abi.h"

uint32_t fwgen_abi_version(void) { return FWGEN_ABI; }
