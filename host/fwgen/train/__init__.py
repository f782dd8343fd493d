"""Training, quantization and evaluation of fwgen's zoo models.

TensorFlow is imported lazily inside the functions that need it: importing `fwgen` or
starting the CLI never loads it.
"""
