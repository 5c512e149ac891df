"""Typesetting checked against LaTeX: the same paragraph and formulas, hw1 (WeasyPrint + ziamath) beside
pdflatex (amsmath, Latin Modern), at 300 dpi.

Needs pdflatex and pdftoppm (Debian: texlive-latex-base, texlive-fonts-recommended, lmodern, poppler-utils).
Writes <out>/hw1.pdf, <out>/latex.pdf and <out>/side-by-side-N.png (hw1 left, LaTeX right):

    python benchmarks/compare_latex.py --out /tmp/compare
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PARAGRAPH = (r"A single neuron with input $x = 1$, weight $w$, bias $b$ and a sigmoid activation, "
             r"$\hat{y} = \sigma(wx + b) = 1/(1 + e^{-(wx+b)})$, trained towards the target $y = 0.5$. "
             r"The range $[-6, 6]$ on both axes is centred at 0 and wide enough that $z = w + b$ spans "
             r"$[-12, 12]$, far into both saturated tails of the sigmoid ($\sigma(12) = 0.999994$), so "
             r"$I \ge -1$ holds and $w = -b$ is the line where $\frac{\partial L}{\partial w} = -2(y - \hat{y})"
             r"\hat{y}(1 - \hat{y}) = 0$; a step of $\epsilon = 0.02$ instead of 5.57 changes little.")
DISPLAYS = [
    r"\frac{\partial \mathcal{L}}{\partial w} = \frac{1}{N}\sum_{i=1}^{N} (\hat{y}_i - y_i)\, x_i",
    r"\begin{aligned} h &= \tanh(W_1 x + b_1) \\ \hat{y} &= \sigma(w_2^\top h + b_2) \end{aligned}",
    r"A = \begin{pmatrix} 1 & -2 \\ -3 & 4 \end{pmatrix}, \qquad \lVert x - x' \rVert_2 \le \epsilon",
    r"I_\epsilon \leftarrow \Pi\bigl(I_\epsilon + \epsilon\, \operatorname{sign}(\nabla_{I_\epsilon} \mathcal{L})\bigr), "
    r"\qquad w \in [-6, 6]",
]
WIDTH_CM = 16.6  # the report's text width (templates/style.css)


def hw1_pdf(out: Path) -> Path:
    import weasyprint

    from hw1.rendering import mathtex, render

    css = (REPO / "templates" / "style.css").read_text()
    body = f"<p>{PARAGRAPH}</p>" + "".join(f"<p>$${tex}$$</p>" for tex in DISPLAYS)
    page = mathtex.replace_math(f'<html lang="en"><style>{css} @page {{ size: 21cm 12cm; margin: 1cm 2.2cm; '
                                f'@bottom-center {{ content: none }} }}</style><body>{body}</body></html>')
    render._copy_fonts(out)
    pdf = out / "hw1.pdf"
    weasyprint.HTML(string=page, base_url=str(out) + "/").write_pdf(pdf)
    return pdf


def latex_pdf(out: Path) -> Path:
    displays = "\n".join(f"\\[ {tex} \\]" for tex in DISPLAYS)
    source = rf"""\documentclass[11pt]{{article}}
\usepackage[T1]{{fontenc}}\usepackage{{lmodern}}\usepackage{{amsmath}}
\usepackage[paperwidth=21cm,paperheight=12cm,textwidth={WIDTH_CM}cm,top=1cm,left=2.2cm]{{geometry}}
\pagestyle{{empty}}\linespread{{1.1}}
\begin{{document}}
\noindent {PARAGRAPH}
{displays}
\end{{document}}
"""
    (out / "latex.tex").write_text(source)
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "latex.tex"], cwd=out, check=True, capture_output=True)
    return out / "latex.pdf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/compare-latex"))
    parser.add_argument("--dpi", type=int, default=300)
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    pngs = []
    for pdf in (hw1_pdf(out), latex_pdf(out)):
        subprocess.run(["pdftoppm", "-r", str(args.dpi), "-f", "1", "-l", "1", "-png", str(pdf), str(pdf.with_suffix(""))],
                       check=True)
        pngs.append(next(out.glob(pdf.stem + "-*.png")))
    left, right = (Image.open(p) for p in pngs)
    both = Image.new("RGB", (left.width + right.width + 20, max(left.height, right.height)), "grey")
    both.paste(left, (0, 0))
    both.paste(right, (left.width + 20, 0))
    both.save(out / "side-by-side.png")
    # Halves at full resolution, for looking closely
    half = both.height // 2
    both.crop((0, 0, both.width, half)).save(out / "side-by-side-1.png")
    both.crop((0, half, both.width, both.height)).save(out / "side-by-side-2.png")
    print(f"hw1 left, LaTeX right: {out / 'side-by-side.png'} (and -1, -2 halves)")


if __name__ == "__main__":
    main()
