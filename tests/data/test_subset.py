"""data.subset: a fixed choice of n items, the same in every seed, metrics still against the whole set."""
import pytest
import torch

from gankit.config import build_config
from gankit.data import dataset_for
from gankit.data.subset import chosen_indices
from gankit.errors import ConfigError

from ..conftest import TINY_DIGITS
from .test_stream import make_folder


def config(*overrides):
    return build_config(TINY_DIGITS, overrides=list(overrides)).data


def rows(x: torch.Tensor) -> set:
    return {tuple(r.tolist()) for r in x.flatten(1)}


def test_subset_keeps_n_distinct_items_with_their_labels_whatever_the_run_seed():
    whole, cut = dataset_for(config()), dataset_for(config("data.subset=100"))
    assert len(cut) == 100 and cut.spec == whole.spec
    by_row = {tuple(r.tolist()): int(y) for r, y in zip(whole.x.flatten(1), whole.labels)}
    assert all(by_row[tuple(r.tolist())] == int(y) for r, y in zip(cut.x.flatten(1), cut.labels))  # labels follow
    assert len(chosen_indices(len(whole), 100).unique()) == 100  # without replacement
    again = dataset_for(build_config(TINY_DIGITS, overrides=["data.subset=100", "seed=7"]).data)
    assert torch.equal(again.x, cut.x)  # the choice does not follow the run's seed
    assert not torch.equal(cut.x, whole.x[:100])  # a random choice, not the first 100


def test_subset_batches_draw_only_the_chosen_items_and_metrics_sample_the_whole_set():
    whole, cut = dataset_for(config()), dataset_for(config("data.subset=64"))
    torch.manual_seed(0)
    source = cut.batches(32)
    seen = torch.cat([source.next()[0] for _ in range(6)])  # three epochs of the 64
    assert rows(seen) <= rows(cut.x) and len(rows(seen)) == len(rows(cut.x))
    g = torch.Generator()
    assert torch.equal(cut.sample(300, g.manual_seed(1)), whole.sample(300, g.manual_seed(1)))


def test_subset_then_mirror_doubles_the_chosen_items():
    cut, both = dataset_for(config("data.subset=64")), dataset_for(config("data.subset=64", "data.mirror=true"))
    assert torch.equal(both.x, torch.cat([cut.x, cut.x.flip(3)]))


@pytest.mark.parametrize("value, message", [
    ("-1", "config field data.subset: expected 0 .all items. or a positive number of items, got -1"),
    ("100000", "config field data.subset: 100000 images asked of dataset 'digits', which holds 1797; set data.subset to at most 1797"),
])
def test_bad_subset_sizes_are_refused_with_the_field(value, message):
    with pytest.raises(ConfigError, match=message):
        dataset_for(config(f"data.subset={value}"))


def test_subset_of_a_streamed_or_drawn_dataset_is_refused(tmp_path):
    folder = make_folder(tmp_path / "imgs")
    with pytest.raises(ConfigError, match="data.subset: dataset .* is streamed or drawn afresh"):
        dataset_for(build_config({"data": {"name": f"folder:{folder}", "resolution": 8, "stream": True,
                                           "subset": 5}}).data)
    with pytest.raises(ConfigError, match="data.subset: dataset 'ring8' is streamed or drawn afresh"):
        dataset_for(build_config({"data": {"name": "ring8", "subset": 5}}).data)
