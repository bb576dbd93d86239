#!/bin/sh
# t_packaging.sh - static checks of the packaged service files: the unit and the socket pass
# systemd-analyze verify (skipped where it cannot run); every unit directive is one systemd
# 219 (EL7) knows, or one listed as newer hardening that 219 ignores; the tmpfiles.d entry
# is accepted by systemd-tmpfiles; the init script parses under sh and bash and has the
# chkconfig and LSB headers; the spec parses for rhel 6 and rhel 7 (rpmspec).
. "$(dirname "$0")/lib.sh"

is_ours || skip_all "checks this repository's packaging"
S="$PGW_SRC/systemd"
INIT="$PGW_SRC/initscripts/pushgateway"
SPEC="$PGW_SRC/packaging/pushgateway.spec"

# ---------------------------------------------------------------- init script
for sh in sh bash; do
	command -v $sh >/dev/null 2>&1 || continue
	assert_true "init script parses under $sh" $sh -n "$INIT"
done
assert_true "init script is executable" test -x "$INIT"
H=$(sed -n '1,30p' "$INIT")
assert_has_line "$H" "# chkconfig:   - 85 15" "chkconfig header (not enabled by default)"
assert_match "$H" '^# description: ' "chkconfig description"
assert_has_line "$H" "### BEGIN INIT INFO" "LSB header"
assert_has_line "$H" "# Provides:          pushgateway" "LSB Provides"
assert_match "$H" '^# Required-Start: +\$local_fs \$network' "LSB Required-Start"
assert_has_line "$H" "### END INIT INFO" "LSB header end"
assert_contains "$(cat "$INIT")" '. "$functions"' "sources the initscripts functions"
assert_contains "$(cat "$INIT")" "functions=\${PGW_INIT_FUNCTIONS:-/etc/rc.d/init.d/functions}" \
	"the real functions library by default"
assert_contains "$(cat "$INIT")" "sysconfig=\${PGW_SYSCONFIG:-/etc/sysconfig/pushgateway}" \
	"the sysconfig file by default"

# ---------------------------------------------------------------- systemd 219 directives
# Directives systemd 219 knows (systemd.unit/service/socket/exec/kill/resource-control of 219).
KNOWN219=" Description Documentation Wants Requires Requisite BindsTo PartOf Conflicts Before
After OnFailure PropagatesReloadTo ReloadPropagatedFrom JoinsNamespaceOf RequiresMountsFor
OnFailureJobMode IgnoreOnIsolate StopWhenUnneeded RefuseManualStart RefuseManualStop
AllowIsolate DefaultDependencies JobTimeoutSec JobTimeoutAction StartLimitInterval
StartLimitBurst StartLimitAction ConditionPathExists Type RemainAfterExit GuessMainPID PIDFile
BusName ExecStart ExecStartPre ExecStartPost ExecReload ExecStop ExecStopPost RestartSec
TimeoutStartSec TimeoutStopSec TimeoutSec WatchdogSec Restart SuccessExitStatus
RestartPreventExitStatus RestartForceExitStatus PermissionsStartOnly RootDirectoryStartOnly
NonBlocking NotifyAccess Sockets FailureAction FileDescriptorStoreMax WorkingDirectory
RootDirectory User Group SupplementaryGroups Nice OOMScoreAdjust IOSchedulingClass
IOSchedulingPriority CPUSchedulingPolicy CPUSchedulingPriority CPUSchedulingResetOnFork
CPUAffinity UMask Environment EnvironmentFile PassEnvironment StandardInput StandardOutput
StandardError TTYPath SyslogIdentifier SyslogFacility SyslogLevel SyslogLevelPrefix
TimerSlackNSec LimitCPU LimitFSIZE LimitDATA LimitSTACK LimitCORE LimitRSS LimitNOFILE LimitAS
LimitNPROC LimitMEMLOCK LimitLOCKS LimitSIGPENDING LimitMSGQUEUE LimitNICE LimitRTPRIO
LimitRTTIME CapabilityBoundingSet Capabilities SecureBits ReadWriteDirectories
ReadOnlyDirectories InaccessibleDirectories PrivateTmp PrivateDevices PrivateNetwork
ProtectSystem ProtectHome MountFlags SystemCallFilter SystemCallErrorNumber
SystemCallArchitectures RestrictAddressFamilies Personality RuntimeDirectory
RuntimeDirectoryMode NoNewPrivileges IgnoreSIGPIPE KillMode KillSignal SendSIGKILL SendSIGHUP
CPUAccounting CPUShares StartupCPUShares CPUQuota MemoryAccounting MemoryLimit BlockIOAccounting
BlockIOWeight DeviceAllow DevicePolicy Slice Delegate ListenStream ListenDatagram
ListenSequentialPacket ListenFIFO ListenSpecial ListenNetlink ListenMessageQueue BindIPv6Only
Backlog BindToDevice SocketUser SocketGroup SocketMode DirectoryMode Accept MaxConnections
KeepAlive NoDelay Priority ReceiveBuffer SendBuffer IPTOS IPTTL Mark ReusePort
PipeSize FreeBind Transparent Broadcast PassCredentials PassSecurity TCPCongestion
RemoveOnStop Symlinks Service WantedBy RequiredBy Also Alias DefaultInstance "
# Newer hardening that 219 logs as unknown and ignores (the unit says so).
NEWER=" ProtectKernelTunables ProtectKernelModules ProtectControlGroups RestrictRealtime
RestrictNamespaces LockPersonality MemoryDenyWriteExecute "
for u in "$S/pushgateway.service" "$S/pushgateway.socket"; do
	for d in $(grep -E '^[A-Za-z]+=' "$u" | cut -d= -f1 | sort -u); do
		case " $(echo $KNOWN219) " in
		*" $d "*) ok ;;
		*)
			case " $(echo $NEWER) " in
			*" $d "*) ok ;;
			*) fail "$(basename "$u"): $d= is unknown to systemd 219 and not listed as newer hardening" ;;
			esac
			;;
		esac
	done
done
U=$(cat "$S/pushgateway.service")
assert_has_line "$U" "Type=notify" "Type=notify"
assert_has_line "$U" "EnvironmentFile=-/etc/sysconfig/pushgateway" "optional EnvironmentFile"
assert_has_line "$U" "User=pushgateway" "dedicated user"
assert_has_line "$U" 'ExecReload=/bin/kill -HUP $MAINPID' "reload with SIGHUP"
assert_has_line "$U" "Restart=on-failure" "restart policy"
assert_has_line "$U" "WantedBy=multi-user.target" "install target"
assert_not_contains "$U" "--daemon" "the unit runs the gateway in the foreground"
assert_has_line "$(cat "$S/pushgateway.socket")" "ListenStream=9091" "socket on 9091"
assert_has_line "$(cat "$S/pushgateway.tmpfiles")" "d /run/pushgateway 0755 pushgateway pushgateway -" \
	"tmpfiles entry"

# ---------------------------------------------------------------- systemd-analyze verify
V="$T_TMP/units"
mkdir -p "$V"
if command -v systemd-analyze >/dev/null 2>&1 &&
	printf '[Service]\nExecStart=/bin/true\n' >"$V/probe.service" &&
	systemd-analyze verify "$V/probe.service" >/dev/null 2>&1; then
	rm -f "$V/probe.service"
	sed "s#/usr/bin/pushgateway#$PGW_BIN#" "$S/pushgateway.service" >"$V/pushgateway.service"
	cp "$S/pushgateway.socket" "$V/"
	OUT=$(cd "$V" && systemd-analyze verify ./pushgateway.service ./pushgateway.socket 2>&1)
	assert_eq "$?" 0 "systemd-analyze verify: $OUT"
	assert_eq "$OUT" "" "systemd-analyze verify prints no warning"
else
	skip_assert "systemd-analyze verify cannot run here"
fi
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	sed 's/pushgateway pushgateway/root root/' "$S/pushgateway.tmpfiles" >"$T_TMP/pgw.conf"
	systemd-tmpfiles --root="$T_TMP/tmproot" --create "$T_TMP/pgw.conf" >"$T_TMP/tmpf.log" 2>&1
	assert_true "systemd-tmpfiles creates /run/pushgateway" test -d "$T_TMP/tmproot/run/pushgateway"
else
	skip_assert "no systemd-tmpfiles"
fi

# ---------------------------------------------------------------- spec
if command -v rpmspec >/dev/null 2>&1; then
	for el in 6 7; do
		P=$(rpmspec -P --define "rhel $el" --define "_initddir /etc/rc.d/init.d" "$SPEC" 2>"$T_TMP/rpmspec.err")
		assert_eq "$?" 0 "the spec parses for rhel $el: $(cat "$T_TMP/rpmspec.err")"
		if [ $el = 6 ]; then
			assert_contains "$P" "BuildRequires:  libevent2-devel >= 2.0.21" "EL6 builds with libevent2"
			assert_contains "$P" "/sbin/chkconfig --add pushgateway" "EL6 registers with chkconfig"
			assert_not_contains "$P" "systemd_post" "EL6 has no systemd scriptlets"
		else
			assert_contains "$P" "BuildRequires:  libevent-devel >= 2.0.21" "EL7 builds with libevent"
			assert_contains "$P" "systemd_post pushgateway.service" "EL7 uses the systemd macros"
			assert_not_contains "$P" "chkconfig" "EL7 has no chkconfig"
		fi
		assert_contains "$P" "%config(noreplace) /etc/sysconfig/pushgateway" "rhel $el: noreplace sysconfig"
	done
else
	skip_assert "no rpmspec (Debian: apt-get install rpm)"
fi

t_finish
