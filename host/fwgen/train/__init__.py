"""Training, int8 quantization and evaluation of models on features from fwgen's own frontends.
May import fwgen.errors, audio, tflite and frontend (spec.py picks the frontend); never zoo, cli.

Callers resolve the zoo and pass the `ZooModel`, its recipe or the dataset options in.
TensorFlow is imported lazily inside the functions that need it: importing `fwgen` or
starting the CLI never loads it. When it is loaded, its C++ INFO/WARNING chatter is off unless
the user set TF_CPP_MIN_LOG_LEVEL themselves; the verbs that load it silence the rest with
`fwgen.train.tf_logging.quiet_tensorflow(verbose)` first (the one place for TF's log settings).
"""
from fwgen.train import tf_logging as _tf_logging

_tf_logging.set_default_level()
