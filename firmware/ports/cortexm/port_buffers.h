/*
 * Buffer sizes of the ports, as the build chose them: fwgen_memory.h (through app_config.h),
 * computed by fwgen.deploy.memory from the audio source, the link's flow-control window and
 * the inference interval. Images without an app configuration (port smoke tests, harnesses)
 * keep the defaults below.
 *   FWGEN_PORT_RX_RING_BYTES     UART receive ring (interrupt-driven ports)
 *   FWGEN_PORT_MIC_RING_SAMPLES  microphone sample ring; 0: the microphone driver is left out
 *                                (fwgen_port_mic_start() answers FWGEN_ERR_UNSUPPORTED)
 */
#ifndef FWGEN_PORT_BUFFERS_H
#define FWGEN_PORT_BUFFERS_H

#if defined(__has_include)
#if __has_include("app_config.h")
#include "app_config.h"
#endif
#endif

#ifndef FWGEN_PORT_RX_RING_BYTES
#define FWGEN_PORT_RX_RING_BYTES 4096u
#endif
#ifndef FWGEN_PORT_MIC_RING_SAMPLES
#define FWGEN_PORT_MIC_RING_SAMPLES 2048u   /* 128 ms at 16 kHz */
#endif

#endif /* FWGEN_PORT_BUFFERS_H */
