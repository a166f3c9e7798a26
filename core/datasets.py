"""What a data set is: origin, licence and attribution, carried by every row loaded from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    """One data set: where rows come from and under what terms they may be reused."""

    id: str
    title: str
    licence: str
    licence_url: str | None
    attribution: str
    source_url: str | None
    synthetic: bool = False
    folder: str | None = None  # the folder under data/bundled/ of a bundled data set


def upload_dataset(name: str, licence: str = "unspecified", dataset_id: str | None = None) -> Dataset:
    """A data set record for a file a user loads with `bluemap load-file`."""
    return Dataset(dataset_id or f"upload:{name}", f"Uploaded file {name}", licence, None,
                   f"Uploaded file {name}; licence as stated by the uploader.", None)
