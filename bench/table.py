"""Plain-text tables, so every section of ``make bench`` reads the same way."""

from collections.abc import Collection, Sequence


def render(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()
) -> str:
    """The rows under the header, columns padded; columns in ``right`` are right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return " | ".join(padded).rstrip()

    return "\n".join([line(header), "-+-".join("-" * w for w in widths), *map(line, rows)])


def print_table(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Collection[int] = (),
    notes: Sequence[str] = (),
) -> None:
    print(title)
    print()
    print(render(header, rows, right))
    if notes:
        print()
        for note in notes:
            print(note)
    print()
