# shellcheck shell=sh
RULE='Ptrace attached to another process'
TRIGGER='gdb (emulated) attaches to a running process with PTRACE_ATTACH'
BENIGN='gdb (emulated) starts its own program under PTRACE_TRACEME and continues it'
EXPECT='request=PTRACE_ATTACH|user=root|process=gdb|command=gdb ptrace-attach|container_id=host'
trigger() { /usr/bin/gdb ptrace-attach; }
benign() { /usr/bin/gdb ptrace-traceme; }
# Known gap, checked both ways (the trigger must stay silent until it is closed, then this line
# goes): the module encodes ptrace as a generic syscall event without its request.
GAP='the kernel module records ptrace as a generic syscall event (no request, no pid), so no ptrace rule can fire on live or recorded events yet'
