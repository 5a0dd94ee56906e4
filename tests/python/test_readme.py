"""README.md, "Check your PyTorch module": its five lines of Python print the table shown under them."""
import os
import re
import subprocess
import sys

README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "README.md")


def test_readme_example_prints_the_table_shown():
    text = open(README).read()
    blocks = re.findall(r"```(\w*)\n(.*?)```", text, re.S)
    code = next(b for lang, b in blocks if lang == "python")
    shown = next(b for lang, b in blocks if lang == "" and b.startswith("matbp check:"))
    assert len(code.strip().splitlines()) == 5
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == shown + "\n"  # print adds a newline to the table's own
