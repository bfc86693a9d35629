"""The sections of docs/benchmarks.md that one part of bench/compare.sh owns, and the
hand-written notes appended to them.

Each section sits between <!-- NAME:begin --> and <!-- NAME:end --> markers, so that a run
measuring only one part (compare.sh --tls-only, --chat-only, ...) rewrites only its
section and leaves the others as they were:

    block = sections.wrap("ws", lines)             # the markers around the lines
    sections.write("docs/benchmarks.md", "ws", block)
    old = sections.find(text, "chat")              # the block as it is, or None

The notes that explain the figures are written by hand in docs/benchmarks/: notes.md
closes the file, notes-KIND.md closes section KIND (sections.notes).
"""
import os

# Sections without a place of their own go before the hand-written notes.
NOTES_ANCHOR = "\n## Reading these figures"

# Every section compare.sh writes, in the order they appear in the file.
ORDER = ("tls", "chat", "accept", "unpinned", "ws", "syscalls")

# docs/benchmarks/, from bench/reports/.
NOTES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                         "docs", "benchmarks")


def markers(name):
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def wrap(name, lines):
    """The block for `lines` (a list of strings), markers included."""
    begin, end = markers(name)
    return "\n".join([begin] + list(lines) + [end])


def find(text, name):
    """The block of section `name` in `text`, markers included, or None."""
    begin, end = markers(name)
    if begin not in text or end not in text:
        return None
    return begin + text.split(begin, 1)[1].split(end, 1)[0] + end


def splice(text, name, block):
    """`text` with section `name` replaced by `block`; a new section goes before the
    first later section of ORDER that is there, else before the notes, else at the end."""
    begin, end = markers(name)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        return head + block + rest.split(end, 1)[1]
    later = ORDER[ORDER.index(name) + 1:] if name in ORDER else ()
    for other in later:
        other_begin = markers(other)[0]
        if other_begin in text:
            head, tail = text.split(other_begin, 1)
            return head.rstrip("\n") + "\n\n" + block + "\n\n" + other_begin + tail
    if NOTES_ANCHOR in text:
        head, tail = text.split(NOTES_ANCHOR, 1)
        return head.rstrip("\n") + "\n\n" + block + "\n" + NOTES_ANCHOR + tail
    return text.rstrip("\n") + "\n\n" + block + "\n"


def write(path, name, block):
    """Rewrites section `name` of the file at `path` (made if missing)."""
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    with open(path, "w") as f:
        f.write(splice(text, name, block))


def kept(path, names):
    """The blocks of sections `names` as they are in the file at `path` (those present)."""
    if not os.path.exists(path):
        return []
    text = open(path).read()
    return [b for b in (find(text, n) for n in names) if b]


def notes(kind=None):
    """The hand-written analysis docs/benchmarks/notes-KIND.md (notes.md without a kind),
    as a one-item list to append, or [] when there is none."""
    path = os.path.join(NOTES_DIR, f"notes-{kind}.md" if kind else "notes.md")
    return [open(path).read().rstrip()] if os.path.exists(path) else []


def publish(path, name, block):
    """Rewrites section `name` of the file at `path` with `block` and prints the block."""
    write(path, name, block)
    print(block)
