"""The KM figure of R's lung data by sex, drawn by myositis.figures.km and, beside it, by survminer's
``ggsurvplot(fit, risk.table = TRUE, conf.int = TRUE, pval = TRUE, surv.median.line = "hv")``. Writes
docs/figures/km_lung_*.png.

    .venv/bin/python tools/km_survminer.py

When survminer is installed (Debian: ``apt-get install r-cran-survminer``, 0.4.9 on bookworm; or
``install.packages("survminer")``), the right panel is ggsurvplot's own figure and the script prints what
ggsurvplot computed (p label, medians, numbers at risk) next to ours. Without it, R draws with base graphics the
elements survminer's source defines (kassambara/survminer R/ggsurvplot_core.R, R/surv_pvalue.R): survfit() with
R's default conf.type = "log", bands at ``conf.int.alpha = 0.3``, "+" censor marks, the p-value as
``surv_pvalue()`` writes it (``paste("p =", signif(p, 2))``) at x = max(time) / 50, y = 0.2, black dashed median
segments (``.add_surv_median``), legend on top titled "Strata", and the number at risk under the plot.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from myositis import paths  # noqa: E402
from myositis.figures import km, style  # noqa: E402

R_SCRIPT = r"""
library(survival)
args <- commandArgs(TRUE); out_csv <- args[1]; out_png <- args[2]
data(cancer, package = "survival")
d <- data.frame(time = lung$time, event = as.integer(lung$status == 2), sex = lung$sex)
write.csv(d, out_csv, row.names = FALSE)
fit <- survfit(Surv(time, event) ~ sex, data = d)          # conf.type = "log", R's default
sd <- survdiff(Surv(time, event) ~ sex, data = d)
p <- pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE)
ptxt <- ifelse(p < 1e-4, "p < 0.0001", paste("p =", signif(p, 2)))   # survminer surv_pvalue()
cols <- c("#F8766D", "#00BFC4")                              # ggplot2's hue palette, survminer's default
breaks <- seq(0, 1000, by = 250)                             # ggplot2's default breaks on this range
png(out_png, width = 7.5, height = 6.2, units = "in", res = 120)
layout(matrix(1:2), heights = c(3.2, 1.2))
par(mar = c(4, 4.5, 3.5, 1), las = 1)
plot(NULL, xlim = c(0, max(d$time)), ylim = c(0, 1), xlab = "Time", ylab = "Survival probability",
     xaxt = "n", bty = "l")
axis(1, at = breaks)
tab <- summary(fit)$table
for (i in 1:2) {
  f <- fit[i]
  t <- c(0, f$time); s <- c(1, f$surv); lo <- c(1, f$lower); hi <- c(1, f$upper)
  keep <- !is.na(lo)
  xs <- rep(t[keep], each = 2)[-1]; ylo <- rep(lo[keep], each = 2); yhi <- rep(hi[keep], each = 2)
  xs <- c(xs, max(t[keep]))
  polygon(c(xs, rev(xs)), c(ylo, rev(yhi)), col = adjustcolor(cols[i], alpha.f = 0.3), border = NA)  # conf.int.alpha
  lines(t, s, type = "s", col = cols[i], lwd = 2)
  cz <- f$n.censor > 0
  points(f$time[cz], f$surv[cz], pch = 3, col = cols[i], cex = 0.9)
}
med <- tab[, "median"]
segments(0, 0.5, max(med), 0.5, lty = 2, lwd = 1.4)                  # .add_surv_median: one h segment
segments(med, 0, med, 0.5, lty = 2, lwd = 1.4)                        # and one v segment per stratum
text(max(d$time) / 50, 0.2, ptxt, adj = c(0, 0.5), cex = 1.25)        # pval.coord default
legend("top", inset = c(0, -0.2), xpd = TRUE, horiz = TRUE, bty = "n", title = "Strata",
       legend = c("sex=1", "sex=2"), col = cols, lwd = 2)
par(mar = c(4, 4.5, 2, 1))
nr <- summary(fit, times = breaks, extend = TRUE)
plot(NULL, xlim = c(0, max(d$time)), ylim = c(0.5, 2.5), xaxt = "n", yaxt = "n", xlab = "Time", ylab = "Strata",
     bty = "n", main = "Number at risk", font.main = 1, adj = 0, cex.main = 1)
axis(1, at = breaks)
for (i in 1:2) {
  n <- nr$n.risk[nr$strata == levels(nr$strata)[i]]
  text(breaks[seq_along(n)], 3 - i, n, col = cols[i])
  mtext(c("sex=1", "sex=2")[i], side = 2, at = 3 - i, las = 1, col = cols[i], line = 0.5, cex = 0.8)
}
invisible(dev.off())
cat(sprintf("p %.10g\nmedian %s\n", p, paste(med, collapse = " ")))
"""

GGSURVPLOT = r"""
suppressPackageStartupMessages({library(survival); library(survminer)})
args <- commandArgs(TRUE); out_png <- args[1]
data(cancer, package = "survival")
d <- data.frame(time = lung$time, event = as.integer(lung$status == 2), sex = lung$sex)
fit <- survfit(Surv(time, event) ~ sex, data = d)
p <- ggsurvplot(fit, data = d, risk.table = TRUE, conf.int = TRUE, pval = TRUE, surv.median.line = "hv")
png(out_png, width = 7.5, height = 6.2, units = "in", res = 120)
print(p)
invisible(dev.off())
pv <- surv_pvalue(fit, data = d)
m <- surv_median(fit)
cat(sprintf("survminer %s: %s; medians %s; at risk %s\n", packageVersion("survminer"), pv$pval.txt,
            paste(m$median, collapse = " "), paste(p$table$data$n.risk, collapse = " ")))
"""


def has_survminer() -> bool:
    """Whether R and its survminer package are installed."""
    try:
        return subprocess.run(["Rscript", "-e", "library(survminer)"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main() -> int:
    out = paths.ROOT / "docs" / "figures"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        script, csv = Path(tmp) / "km.R", Path(tmp) / "lung.csv"
        script.write_text(R_SCRIPT)
        proc = subprocess.run(["Rscript", str(script), str(csv), str(out / "km_lung_r_survminer_elements.png")],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return 1
        print("R:", proc.stdout.strip().replace("\n", "; "))
        lung = pd.read_csv(csv, index_col=False)
        reference = out / "km_lung_r_survminer_elements.png"
        if has_survminer():
            script.write_text(GGSURVPLOT)
            reference = out / "km_lung_ggsurvplot.png"
            proc = subprocess.run(["Rscript", str(script), str(reference)], capture_output=True, text=True, timeout=300)
            if proc.returncode:
                print(proc.stderr, file=sys.stderr)
                return 1
            print(proc.stdout.strip())
        else:
            print("survminer is not installed: the right panel is R drawing survminer's elements")
    style.use()
    ax = km.plot_km(lung, group="sex", labels={1: "sex=1", 2: "sex=2"}, legend_title="Strata", break_time=250,
                    xlabel="Time", median_line="hv", risk_table=True, conf_int=True, pvalue=True)
    ours = style.save(ax.figure, out / "km_lung_myositis", formats=("png",))[0]
    style.close(ax.figure)
    left, right = Image.open(ours), Image.open(reference)
    h = max(left.height, right.height)
    left = left.resize((round(left.width * h / left.height), h))
    right = right.resize((round(right.width * h / right.height), h))
    both = Image.new("RGB", (left.width + right.width + 20, h), "white")
    both.paste(left, (0, 0))
    both.paste(right, (left.width + 20, 0))
    both.save(out / "km_lung_side_by_side.png")
    print(f"wrote {paths.relative(out / 'km_lung_side_by_side.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
