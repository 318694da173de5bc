# shellcheck shell=sh
RULE='Ptrace attached to another process'
TRIGGER='gdb (emulated) attaches to a running process with PTRACE_ATTACH'
BENIGN='gdb (emulated) starts its own program under PTRACE_TRACEME and continues it'
EXPECT='request=PTRACE_ATTACH|user=root|process=gdb|command=gdb ptrace-attach|container_id=host'
trigger() { /usr/bin/gdb ptrace-attach; }
benign() { /usr/bin/gdb ptrace-traceme; }
