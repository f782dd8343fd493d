"""fwgen's pytest plugin: a `fwgen_device` fixture for a user's own device tests, the way
pytest-embedded's `dut` and labgrid's `target` serve theirs. Registered as the `fwgen` entry
point in the `pytest11` group, so installing fwgen is enough (`-p no:fwgen` turns it off).
May import boards, device, run, hil, deploy, project, link and zoo; never cli.

    pytest --fwgen-board mps2_an505 --fwgen-emulate --fwgen-model micro_speech
    pytest --fwgen-board stm32u5 --fwgen-serial /dev/ttyACM0 --fwgen-model micro_speech

    def test_yes(fwgen_device):                        # one device per pytest session
        clip = fwgen_device.stream_clip("clips/yes.wav", features=True)
        assert clip.labels == ["yes"]
        assert not fwgen_device.compare("clips/yes.wav", label="yes").differences

Without any --fwgen-* option a test asking for `fwgen_device` is skipped, with the reason.
"""
from fwgen.pytest_plugin.dut import ClipResult, DeviceUnderTest, Heard
from fwgen.pytest_plugin.target import DeviceTarget, target_from_options

__all__ = ["ClipResult", "DeviceTarget", "DeviceUnderTest", "Heard", "target_from_options"]
