"""Harnesses and test models for the test suite and benchmarks, built through the project path.
May import anything below cli (the tool never imports this package).

* `fwgen.testing.harness`: test images for the QEMU twins, built like shipped firmware (the
  project renderer's "harness" app, `pio run`) and run by the QEMU runner: ``Twin``,
  ``build_image``, ``run_image``, ``c_array``.
* `fwgen.testing.testmodels`: random-weight int8 reference models (YAMNet-256, MobileNetV3 block,
  TENet, single ops) built with Keras and TF's converter, cached on disk.
"""
