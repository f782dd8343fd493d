"""Training datasets: Speech Commands, ESC-50 and fwgen's synthetic sets; `loader.open_dataset`.
May import numpy, fwgen.errors, fwgen.audio and fwgen.train.progress; nothing above train.
"""
