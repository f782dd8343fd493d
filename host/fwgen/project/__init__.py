"""PlatformIO projects: render (`render.py`), provision and build offline (`platformio.py`),
and report flash/RAM by section (`size.py`)."""
