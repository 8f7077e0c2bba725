"""The ``handout`` command, and ``python -m handout``."""

import gc


def main() -> None:
    """Load the command, then run it (:func:`handout.cli.run`).

    Loading ReportLab, pydantic, pdfium and the rest makes a few hundred thousand objects that live as long
    as the process, and no garbage: the garbage collector's passes over them were 0.04 s of every
    command's start, which a batch spends before its workers can begin. They are loaded with the
    collector off, then frozen, so that later full collections, and a batch's forked workers, leave
    them alone.
    """
    gc.disable()
    try:
        from handout.cli import run
    finally:
        gc.freeze()
        gc.enable()
    run()


if __name__ == "__main__":
    main()
