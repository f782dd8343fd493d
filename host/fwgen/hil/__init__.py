"""`fwgen test` as a library: a labelled audio set streamed through a device (twin or board) and
through the host pipeline, scored and reported for CI.
May import deploy, device, run, project, link, audio, boards and zoo; never cli.

    dataset = load_dataset(Path("data/"))          # label folders, a CSV or testing_list.txt
    clips = read_clips(dataset, 16000, classes)    # bad files -> dataset.skipped, by name
"""
from fwgen.hil.dataset import (BACKGROUND_LABELS, Clip, Dataset, LoadedClip, Skipped, load_dataset,
                               read_clips)

__all__ = ["BACKGROUND_LABELS", "Clip", "Dataset", "LoadedClip", "Skipped", "load_dataset",
           "read_clips"]
