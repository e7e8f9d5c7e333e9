# Sourced by run.sh and peers.sh: install_programs installs Debian
# packages for their programs only, keeping the packages' services from
# starting (a policy-rc.d that refuses, removed after). made_policy says
# whether one is in place, for a cleanup trap that runs mid-install.
made_policy=0
install_programs() {
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
	echo "postfix postfix/mailname string localhost" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "$@"
	if ((made_policy)); then rm -f /usr/sbin/policy-rc.d; made_policy=0; fi
}
