"""Reads a labelled set's labels.tsv (file name, tab, text, optional further columns)."""
import os


def read_labels(folder):
    """{file name: text} of FOLDER/labels.tsv; rows with fewer than two fields are skipped."""
    labels = {}
    with open(os.path.join(folder, "labels.tsv"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 2:
                labels[fields[0]] = fields[1]
    return labels
