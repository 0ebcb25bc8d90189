# The verification page (examples/demo/page/) in a real browser (issue 5).
#
#   make test-browser   Debian's chromium, headless, driven by playwright-core
#                       (npm; no browser is ever downloaded) walks the page:
#                       happy path, wrong codes, Telesign down, rate limit.
#                       Screenshots of every screen: build/browser-screens/.
#                       Part of "make test".
#
# Ports: 19970 (nginx) and 19971 (simulator), so it runs beside the other
# suites.  playwright-core is pinned in t/browser/package-lock.json to a
# version that supports Debian 12's node 18.

BROWSER_T   := t/browser
BROWSER_NPM := $(BROWSER_T)/node_modules/.package-lock.json

DEPS += \
	/usr/bin/chromium:chromium \
	/usr/bin/node:nodejs \
	/usr/bin/npm:npm \
	/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core

.PHONY: test-browser

TEST_TARGETS += test-browser

$(BROWSER_NPM): $(BROWSER_T)/package.json $(BROWSER_T)/package-lock.json | deps
	cd $(BROWSER_T) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
	    npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-browser: $(NGX_MOD) $(BROWSER_NPM)
	@PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 node $(BROWSER_T)/verify-page.test.js
