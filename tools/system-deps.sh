#!/usr/bin/env bash
# Install the system packages the browser and R reference tests use, when they are missing and we can:
# Debian's chromium + chromium-driver (headless report checks), r-base-core + r-cran-survival (R reference),
# libreoffice-writer + poppler-utils (manuscript.docx converted to PDF, then to PNG, in the tests).
# Without root or apt-get it only says what is missing; those tests then skip (CI sets MYOSITIS_REQUIRE_*=1
# so that there they fail instead).
set -u
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v Rscript >/dev/null 2>&1 || missing+=(r-base-core)
if command -v Rscript >/dev/null 2>&1; then
  Rscript -e 'quit(status = !requireNamespace("survival", quietly = TRUE))' >/dev/null 2>&1 || missing+=(r-cran-survival)
else
  missing+=(r-cran-survival)
fi
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: missing system packages (${missing[*]}); browser/R/LibreOffice tests will be skipped." >&2
  echo "      install with: sudo apt-get install ${missing[*]}" >&2
fi
