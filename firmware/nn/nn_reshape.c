/* RESHAPE: the memory planner aliases input and output when it can; otherwise a move. */
#include <string.h>

#include "nn/nn.h"

fwgen_status_t fwgen_nn_reshape(const void *input, void *output, size_t bytes)
{
    if (input == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    if (input != output) {
        memmove(output, input, bytes);
    }
    return FWGEN_OK;
}
