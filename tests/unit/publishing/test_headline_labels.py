"""One wording per headline column: the seed's for the figures, the mart's documentation for the rest."""

from __future__ import annotations

import pytest
from programme_monitoring.publishing.labels import headline_labels, mart_column_labels
from programme_monitoring.reference import load_reference


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_marts_documented_figure_labels_are_the_seeds(lang):
    """The mart's .yml must document each figure column with the seed's label (a BI tool reads the
    .yml's, the publications the seed's): a label changed in one place only fails here."""
    documented = mart_column_labels()
    seed = load_reference().headline_labels(lang)
    assert {column: documented[column][lang] for column in seed} == seed


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_publications_label_every_mart_column_as_documented(lang):
    labels = headline_labels(lang)
    assert list(labels) == list(mart_column_labels())  # every column, in the mart's order
    assert labels == {column: words[lang] for column, words in mart_column_labels().items()}
