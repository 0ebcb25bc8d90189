# Debian packages (issue 15): the two modules packaged the way Debian
# packages its own (debian/ at the top of the tree).
#
#   make deb       libnginx-mod-http-appverify and libapache2-mod-appverify,
#                  built by dpkg-buildpackage -b from a copy of the tree in
#                  build/deb/src/ (so the tree itself stays clean), the
#                  .debs moved to build/deb/, then lintian on both (fails
#                  on lintian errors; its whole report: build/deb/lintian.txt)
#   make test-deb  t/deb/run: installs both .debs with apt-get, enables
#                  them the Debian way, runs the SDK flow on the system's
#                  nginx and apache2 (test-owned main configs, ports
#                  19780-19789), then purges both and checks nothing is
#                  left; part of "make test" where dpkg-dev and lintian
#                  can be installed (any Debian)

DEB_DIR      := $(BUILD)/deb
DEB_SRC      := $(DEB_DIR)/src/appverify
DEB_VERSION   = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_ARCH      = $(shell dpkg --print-architecture)
DEB_PKGS     := libnginx-mod-http-appverify libapache2-mod-appverify
DEB_FILES     = $(foreach p,$(DEB_PKGS),$(DEB_DIR)/$(p)_$(DEB_VERSION)_$(DEB_ARCH).deb)
# what building and testing the packages needs ("make deb" installs only
# these; "make deps" all of DEPS)
DEB_DEPS := \
	/usr/bin/dpkg-buildpackage:dpkg-dev \
	/usr/bin/dh:debhelper \
	/usr/bin/lintian:lintian \
	/usr/bin/apxs:apache2-dev \
	/usr/bin/dh_apache2:apache2-dev \
	/usr/share/nginx/src/configure:nginx-dev \
	/usr/bin/dh_nginx:nginx-dev \
	/usr/bin/curl-config:libcurl4-openssl-dev \
	/usr/sbin/nginx:nginx \
	/usr/sbin/apache2:apache2 \
	/usr/sbin/a2enmod:apache2 \
	/usr/bin/curl:curl

DEPS += $(DEB_DEPS)

.PHONY: deb test-deb deps-deb

# "make test" runs test-deb where the packaging tools exist or apt can
# install them
DEB_TESTABLE := $(shell { command -v dpkg-buildpackage && command -v lintian; } >/dev/null 2>&1 \
                   || apt-cache show dpkg-dev lintian >/dev/null 2>&1 && echo yes)
ifeq ($(DEB_TESTABLE),yes)
TEST_TARGETS += test-deb
endif

deps-deb:
	@$(call install_missing,$(BUILD_DEPS) $(DEB_DEPS))

deb: | deps-deb
	@rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	@# the tree as git has it (tracked files and new ones, nothing ignored),
	@# or, outside git, everything but build/
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z -co --exclude-standard | \
	        while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done | \
	        tar -cf - --null -T - | tar -C $(DEB_SRC) -xf -; \
	else \
	    tar -cf - --exclude=./build --exclude='./t/servroot*' \
	        --exclude=./t/browser/node_modules . | tar -C $(DEB_SRC) -xf -; \
	fi
	@echo "dpkg-buildpackage -b -us -uc in $(DEB_SRC) (log: $(DEB_DIR)/build.log)"
	@# no -dbgsym packages: build/deb/ holds the two packages only
	@cd $(DEB_SRC) && DEB_BUILD_OPTIONS="$(strip $(DEB_BUILD_OPTIONS) noautodbgsym)" \
	    dpkg-buildpackage -b -us -uc >$(DEB_DIR)/build.log 2>&1 \
	    || { tail -40 $(DEB_DIR)/build.log; exit 1; }
	@mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	@rm -rf $(DEB_DIR)/src
	@for f in $(DEB_FILES); do echo "built $$f"; done
	@# errors fail the build; warnings and the rest are printed (lintian
	@# only grumbles about root, which "make deb" usually is)
	@lintian --info --display-info --pedantic $(DEB_FILES) 2>&1 | \
	    grep -v '^running with root privileges' >$(DEB_DIR)/lintian.txt; \
	    if [ -s $(DEB_DIR)/lintian.txt ]; then sed 's/^/lintian: /' $(DEB_DIR)/lintian.txt; \
	    else echo "lintian: no tags (errors, warnings, info, pedantic) on either package"; fi; \
	    if grep -q '^E: ' $(DEB_DIR)/lintian.txt; then echo "lintian: errors" >&2; exit 1; fi

test-deb: deb
	@./t/deb/run $(DEB_FILES)
