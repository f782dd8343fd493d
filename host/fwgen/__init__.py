"""fwgen: from an audio ML model to bit-exact microcontroller firmware."""

__version__ = "0.1.0"
