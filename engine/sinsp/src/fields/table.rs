//! The static field tables: one enum per field class plus its `FieldInfo` rows, generated
//! together so a row and its variant can never drift apart.
//!
//! Types follow libs 0.25 (`sinsp_filtercheck_*.cpp`); descriptions are ours.

use falco_rules::field::{ArgSpec, FieldClass, FieldInfo, FieldType};

/// How a field takes an argument and whether it yields a list.
struct Shape {
    arg: ArgSpec,
    idx: bool,
    key: bool,
    list: bool,
}

/// No argument, one value.
const N: Shape = Shape {
    arg: ArgSpec::None,
    idx: false,
    key: false,
    list: false,
};
/// No argument, several values (`fd.ip` matches client or server).
const L: Shape = Shape {
    arg: ArgSpec::None,
    idx: false,
    key: false,
    list: true,
};
/// Optional numeric argument (`proc.aname[2]`).
const OI: Shape = Shape {
    arg: ArgSpec::Optional,
    idx: true,
    key: false,
    list: false,
};
/// Optional numeric argument, list without it (`fd.types[0]`).
const OIL: Shape = Shape {
    arg: ArgSpec::Optional,
    idx: true,
    key: false,
    list: true,
};
/// Optional key or number (`proc.env[HOME]`).
const OIK: Shape = Shape {
    arg: ArgSpec::Optional,
    idx: true,
    key: true,
    list: false,
};
/// Required key or number (`evt.arg.name`, `evt.arg[0]`).
const RIK: Shape = Shape {
    arg: ArgSpec::Required,
    idx: true,
    key: true,
    list: false,
};
/// Required key (`thread.cgroup.cpuacct`, `container.label[x]`).
const RK: Shape = Shape {
    arg: ArgSpec::Required,
    idx: false,
    key: true,
    list: false,
};
/// Required key or index, list without a specific match (`container.mount.dest[/etc]`).
const RIKL: Shape = Shape {
    arg: ArgSpec::Required,
    idx: true,
    key: true,
    list: false,
};

macro_rules! field_class {
    (
        $(#[$doc:meta])*
        $Enum:ident, $TABLE:ident {
            $( $Var:ident $name:literal $ty:ident $shape:ident $desc:literal; )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum $Enum { $($Var),* }

        impl $Enum {
            /// Every variant, in table order (index = position in the table).
            pub const ALL: &'static [$Enum] = &[$($Enum::$Var),*];
        }

        /// The rows of this class, in the enum's order.
        pub const $TABLE: &[FieldInfo] = &[$(
            FieldInfo {
                name: $name,
                ftype: FieldType::$ty,
                is_list: $shape.list,
                arg: $shape.arg,
                arg_index: $shape.idx,
                arg_key: $shape.key,
                desc: $desc,
            }
        ),*];
    };
}

field_class! {
    /// `evt.*` fields that apply to every event.
    GenField, GEN_FIELDS {
        Num "evt.num" Uint64 N "Event number.";
        Time "evt.time" Abstime N "Event timestamp, printed as a time of day with nanoseconds.";
        TimeS "evt.time.s" Charbuf N "Event timestamp as a time of day without nanoseconds.";
        TimeIso8601 "evt.time.iso8601" Charbuf N "Event timestamp in ISO 8601 with nanoseconds and a UTC offset.";
        Datetime "evt.datetime" Charbuf N "Event timestamp as date and time of day.";
        DatetimeS "evt.datetime.s" Charbuf N "Event timestamp as date and time of day without nanoseconds.";
        Rawtime "evt.rawtime" Abstime N "Event timestamp in nanoseconds since the epoch.";
        RawtimeS "evt.rawtime.s" Abstime N "Integer seconds of the event timestamp.";
        RawtimeNs "evt.rawtime.ns" Abstime N "Fractional nanoseconds of the event timestamp.";
        Reltime "evt.reltime" Reltime N "Nanoseconds since the first event.";
        ReltimeS "evt.reltime.s" Reltime N "Integer seconds since the first event.";
        ReltimeNs "evt.reltime.ns" Reltime N "Fractional nanoseconds since the first event.";
        PluginName "evt.pluginname" Charbuf N "Name of the plugin that generated the event (empty for syscalls).";
        PluginInfo "evt.plugininfo" Charbuf N "Summary of a plugin event.";
        Source "evt.source" Charbuf N "Event source name (`syscall`).";
        IsAsync "evt.is_async" Bool N "True for asynchronous events.";
        AsyncType "evt.asynctype" Charbuf N "Type of an asynchronous event.";
        Hostname "evt.hostname" Charbuf N "Host name of the machine that produced the event.";
    }
}

field_class! {
    /// `evt.*` fields of syscall events.
    EvtField, EVT_FIELDS {
        Latency "evt.latency" Reltime N "Nanoseconds between the exit event and its enter event.";
        LatencyS "evt.latency.s" Reltime N "Integer seconds of evt.latency.";
        LatencyNs "evt.latency.ns" Reltime N "Fractional nanoseconds of evt.latency.";
        LatencyHuman "evt.latency.human" Charbuf N "evt.latency as a human readable string.";
        Deltatime "evt.deltatime" Reltime N "Nanoseconds since the previous event.";
        DeltatimeS "evt.deltatime.s" Reltime N "Integer seconds since the previous event.";
        DeltatimeNs "evt.deltatime.ns" Reltime N "Fractional nanoseconds since the previous event.";
        Dir "evt.dir" Charbuf N "Event direction: `>` for enter events, `<` for exit events.";
        Type "evt.type" Charbuf N "Event name, e.g. `open`.";
        TypeIs "evt.type.is" Uint32 RK "1 when the event is of the type given as argument (evt.type.is.open).";
        SyscallType "syscall.type" Charbuf N "System call name for syscall events; unset for other events.";
        Category "evt.category" Charbuf N "Event category, e.g. `file`, `net`, `process`.";
        Cpu "evt.cpu" Int16 N "CPU number the event happened on.";
        Args "evt.args" Charbuf N "All the event arguments, formatted as one string.";
        Arg "evt.arg" Charbuf RIK "One argument by name or number, formatted (evt.arg.fd, evt.arg[0]).";
        Rawarg "evt.rawarg" Dyn RK "One argument by name, with its raw type (evt.rawarg.res).";
        Info "evt.info" Charbuf N "Same as evt.args for most events.";
        Buffer "evt.buffer" Bytebuf N "The data buffer of I/O events.";
        Buflen "evt.buflen" Uint64 N "Length of the data buffer of I/O events.";
        Res "evt.res" Charbuf N "Return value as a string: `SUCCESS` or an errno name such as `ENOENT`.";
        Rawres "evt.rawres" Int64 N "Return value as a number.";
        Failed "evt.failed" Bool N "True for events that returned an error.";
        IsIo "evt.is_io" Bool N "True for events that read or write to fds.";
        IsIoRead "evt.is_io_read" Bool N "True for events that read from fds.";
        IsIoWrite "evt.is_io_write" Bool N "True for events that write to fds.";
        IoDir "evt.io_dir" Charbuf N "`r` for reads, `w` for writes.";
        IsWait "evt.is_wait" Bool N "True for events that make the thread wait.";
        WaitLatency "evt.wait_latency" Reltime N "Time spent waiting for wait events.";
        IsSyslog "evt.is_syslog" Bool N "True for writes to /dev/log.";
        Count "evt.count" Uint32 N "1 for every event (for aggregations).";
        CountError "evt.count.error" Uint32 N "1 for events that returned an error.";
        CountErrorFile "evt.count.error.file" Uint32 N "1 for file events that returned an error.";
        CountErrorNet "evt.count.error.net" Uint32 N "1 for network events that returned an error.";
        CountErrorMemory "evt.count.error.memory" Uint32 N "1 for memory events that returned an error.";
        CountErrorOther "evt.count.error.other" Uint32 N "1 for other events that returned an error.";
        CountExit "evt.count.exit" Uint32 N "1 for exit events.";
        Around "evt.around" Uint64 RIK "Events around a given time (table only).";
        AbsPath "evt.abspath" Charbuf OIK "Absolute path of the path arguments, resolved against dirfd/cwd (evt.abspath.src/dst).";
        IsOpenRead "evt.is_open_read" Bool N "True for open/openat/openat2/open_by_handle_at exits opening for reading.";
        IsOpenWrite "evt.is_open_write" Bool N "True for open/openat/openat2/open_by_handle_at exits opening for writing.";
        IsOpenExec "evt.is_open_exec" Bool N "True for open/openat/openat2/open_by_handle_at/creat exits creating an executable or opening with O_EXEC-like mode.";
        IsOpenCreate "evt.is_open_create" Bool N "True for opens that created the file (O_CREAT and the file did not exist).";
    }
}

field_class! {
    /// `proc.*` and `thread.*` fields.
    ProcField, PROC_FIELDS {
        Exe "proc.exe" Charbuf N "First command line argument (argv[0]).";
        Pexe "proc.pexe" Charbuf N "proc.exe of the parent.";
        Aexe "proc.aexe" Charbuf OI "proc.exe of an ancestor (proc.aexe[1] is the parent); without argument, any ancestor (filters only).";
        Exepath "proc.exepath" Charbuf N "Full path of the executable.";
        Pexepath "proc.pexepath" Charbuf N "proc.exepath of the parent.";
        Aexepath "proc.aexepath" Charbuf OI "proc.exepath of an ancestor.";
        Name "proc.name" Charbuf N "Process name (task comm, at most 15 characters).";
        Pname "proc.pname" Charbuf N "proc.name of the parent.";
        Aname "proc.aname" Charbuf OI "proc.name of an ancestor (proc.aname[2] is the grandparent); without argument, any ancestor (filters only).";
        Args "proc.args" Charbuf N "Command line arguments after argv[0], space separated.";
        Cmdline "proc.cmdline" Charbuf N "proc.name followed by proc.args.";
        Pcmdline "proc.pcmdline" Charbuf N "proc.cmdline of the parent.";
        Acmdline "proc.acmdline" Charbuf OI "proc.cmdline of an ancestor.";
        Cmdnargs "proc.cmdnargs" Uint64 N "Number of command line arguments (proc.args).";
        Cmdlenargs "proc.cmdlenargs" Uint64 N "Total characters of the command line arguments, without separators.";
        Exeline "proc.exeline" Charbuf N "proc.exe followed by proc.args.";
        Env "proc.env" Charbuf OIK "Environment as `NAME=value NAME1=value1`, or one variable's value with proc.env[NAME].";
        Aenv "proc.aenv" Charbuf OIK "Environment of an ancestor, or a variable's first value among the ancestors.";
        Cwd "proc.cwd" Charbuf N "Current working directory.";
        Loginshellid "proc.loginshellid" Int64 N "Pid of the oldest shell among the ancestors.";
        Tty "proc.tty" Uint32 N "Controlling terminal (device number), 0 when none.";
        Pid "proc.pid" Int64 N "Process id.";
        Ppid "proc.ppid" Int64 N "Parent process id.";
        Apid "proc.apid" Int64 OI "Pid of an ancestor.";
        Vpid "proc.vpid" Int64 N "Process id in its own PID namespace.";
        Pvpid "proc.pvpid" Int64 N "Parent's process id in its PID namespace.";
        Sid "proc.sid" Int64 N "Session id.";
        Sname "proc.sname" Charbuf N "proc.name of the session leader.";
        SidExe "proc.sid.exe" Charbuf N "proc.exe of the session leader.";
        SidExepath "proc.sid.exepath" Charbuf N "proc.exepath of the session leader.";
        Vpgid "proc.vpgid" Int64 N "Process group id in its PID namespace.";
        VpgidName "proc.vpgid.name" Charbuf N "proc.name of the process group leader.";
        VpgidExe "proc.vpgid.exe" Charbuf N "proc.exe of the process group leader.";
        VpgidExepath "proc.vpgid.exepath" Charbuf N "proc.exepath of the process group leader.";
        Pgid "proc.pgid" Int64 N "Process group id as seen from the host.";
        PgidName "proc.pgid.name" Charbuf N "proc.name of the host process group leader.";
        PgidExe "proc.pgid.exe" Charbuf N "proc.exe of the host process group leader.";
        PgidExepath "proc.pgid.exepath" Charbuf N "proc.exepath of the host process group leader.";
        Duration "proc.duration" Reltime N "Nanoseconds since the process started.";
        PpidDuration "proc.ppid.duration" Reltime N "Nanoseconds since the parent started.";
        PidTs "proc.pid.ts" Reltime N "Process start time, nanoseconds since the epoch.";
        PpidTs "proc.ppid.ts" Reltime N "Parent start time, nanoseconds since the epoch.";
        IsExeWritable "proc.is_exe_writable" Bool N "True when the executable is writable by the user that started the process.";
        IsExeUpperLayer "proc.is_exe_upper_layer" Bool N "True when the executable is in the upper layer of an overlayfs.";
        IsExeLowerLayer "proc.is_exe_lower_layer" Bool N "True when the executable is in a lower layer of an overlayfs.";
        IsExeFromMemfd "proc.is_exe_from_memfd" Bool N "True when the executable is a memfd.";
        IsSidLeader "proc.is_sid_leader" Bool N "True when proc.sid equals proc.vpid.";
        IsVpgidLeader "proc.is_vpgid_leader" Bool N "True when proc.vpgid equals proc.vpid.";
        IsPgidLeader "proc.is_pgid_leader" Bool N "True when proc.pgid equals proc.pid.";
        ExeIno "proc.exe_ino" Int64 N "Inode number of the executable.";
        ExeInoCtime "proc.exe_ino.ctime" Abstime N "ctime of the executable, nanoseconds since the epoch.";
        ExeInoMtime "proc.exe_ino.mtime" Abstime N "mtime of the executable, nanoseconds since the epoch.";
        ExeInoCtimeDurationProcStart "proc.exe_ino.ctime_duration_proc_start" Abstime N "Nanoseconds between the executable's ctime and the process start.";
        ExeInoCtimeDurationPidnsStart "proc.exe_ino.ctime_duration_pidns_start" Abstime N "Nanoseconds between the PID namespace start and the executable's ctime.";
        PidnsInitStartTs "proc.pidns_init_start_ts" Uint64 N "Start time of the PID namespace, nanoseconds since the epoch.";
        CapPermitted "thread.cap_permitted" Charbuf N "Permitted capabilities.";
        CapInheritable "thread.cap_inheritable" Charbuf N "Inheritable capabilities.";
        CapEffective "thread.cap_effective" Charbuf N "Effective capabilities.";
        IsContainerHealthcheck "proc.is_container_healthcheck" Bool N "True for a container health check process.";
        IsContainerLivenessProbe "proc.is_container_liveness_probe" Bool N "True for a container liveness probe process.";
        IsContainerReadinessProbe "proc.is_container_readiness_probe" Bool N "True for a container readiness probe process.";
        Fdopencount "proc.fdopencount" Uint64 N "Number of open fds of the process.";
        Fdlimit "proc.fdlimit" Int64 N "Maximum number of fds of the process.";
        Fdusage "proc.fdusage" Double N "Open fds divided by the fd limit.";
        Vmsize "proc.vmsize" Uint64 N "Virtual memory, in kB.";
        Vmrss "proc.vmrss" Uint64 N "Resident memory, in kB.";
        Vmswap "proc.vmswap" Uint64 N "Swapped memory, in kB.";
        Pfmajor "thread.pfmajor" Uint64 N "Major page faults since the thread started.";
        Pfminor "thread.pfminor" Uint64 N "Minor page faults since the thread started.";
        Tid "thread.tid" Int64 N "Thread id.";
        Ismain "thread.ismain" Bool N "True for the main thread of the process.";
        Vtid "thread.vtid" Int64 N "Thread id in its PID namespace.";
        Nametid "thread.nametid" Charbuf N "proc.name and thread.tid joined.";
        Exectime "thread.exectime" Reltime N "CPU time of the last scheduled thread (switch events).";
        Totexectime "thread.totexectime" Reltime N "Total CPU time of the thread (switch events).";
        Cgroups "thread.cgroups" Charbuf N "All cgroups of the thread, as one string.";
        Cgroup "thread.cgroup" Charbuf RK "The cgroup of one subsystem (thread.cgroup.cpuacct).";
        Nthreads "proc.nthreads" Uint64 N "Number of alive threads of the process.";
        Nchilds "proc.nchilds" Uint64 N "Number of alive threads of the process other than the leader.";
        ThreadCpu "thread.cpu" Double N "CPU used by the thread in the last second.";
        ThreadCpuUser "thread.cpu.user" Double N "User CPU used by the thread in the last second.";
        ThreadCpuSystem "thread.cpu.system" Double N "System CPU used by the thread in the last second.";
        ThreadVmsize "thread.vmsize" Uint64 N "For the main thread, the process virtual memory in kB; 0 otherwise.";
        ThreadVmrss "thread.vmrss" Uint64 N "For the main thread, the process resident memory in kB; 0 otherwise.";
        ThreadVmsizeB "thread.vmsize.b" Uint64 N "thread.vmsize in bytes.";
        ThreadVmrssB "thread.vmrss.b" Uint64 N "thread.vmrss in bytes.";
    }
}

field_class! {
    /// `user.*` fields.
    UserField, USER_FIELDS {
        Uid "user.uid" Uint32 N "User id.";
        Name "user.name" Charbuf N "User name.";
        Homedir "user.homedir" Charbuf N "Home directory of the user.";
        Shell "user.shell" Charbuf N "Login shell of the user.";
        Loginuid "user.loginuid" Int64 N "Audit login uid (-1 when unset).";
        Loginname "user.loginname" Charbuf N "Name of the audit login user.";
    }
}

field_class! {
    /// `group.*` fields.
    GroupField, GROUP_FIELDS {
        Gid "group.gid" Uint32 N "Group id.";
        Name "group.name" Charbuf N "Group name.";
    }
}

field_class! {
    /// `container.*` fields.
    ContainerField, CONTAINER_FIELDS {
        Id "container.id" Charbuf N "The truncated container ID (first 12 characters), from the cgroups; `host` for processes on the host. The key of the runtime lookups for every other container.* field.";
        FullId "container.full_id" Charbuf N "The full container ID, from the container runtime (empty until the runtime answers).";
        Name "container.name" Charbuf N "The container name, from the container runtime; `host` for processes on the host.";
        Image "container.image" Charbuf N "The container image as the container was created from it (e.g. falcosecurity/falco:latest).";
        ImageId "container.image.id" Charbuf N "The container image id.";
        ImageRepository "container.image.repository" Charbuf N "The container image repository (e.g. falcosecurity/falco).";
        ImageTag "container.image.tag" Charbuf N "The container image tag (e.g. latest).";
        ImageDigest "container.image.digest" Charbuf N "The container image registry digest (sha256:...).";
        Type "container.type" Charbuf N "The container type: docker, podman, containerd, cri-o, ...";
        Privileged "container.privileged" Bool N "True for a container running as privileged.";
        Mounts "container.mounts" Charbuf N "Every mount as `source:dest:mode:rdrw:propagation`, joined by commas.";
        Mount "container.mount" Charbuf RIK "One mount by index (container.mount[0]) or source (a glob), as `source:dest:mode:rdrw:propagation`.";
        MountSource "container.mount.source" Charbuf RIKL "The source of a mount, by index or destination (a glob).";
        MountDest "container.mount.dest" Charbuf RIKL "The destination of a mount, by index or source (a glob).";
        MountMode "container.mount.mode" Charbuf RIKL "The mode of a mount, by index or source (a glob).";
        MountRdwr "container.mount.rdwr" Charbuf RIKL "Whether a mount is writable, by index or source (a glob).";
        MountPropagation "container.mount.propagation" Charbuf RIKL "The propagation of a mount, by index or source (a glob).";
        Healthcheck "container.healthcheck" Charbuf N "[Deprecated] Health check; never a value.";
        LivenessProbe "container.liveness_probe" Charbuf N "[Deprecated] Liveness probe; never a value.";
        ReadinessProbe "container.readiness_probe" Charbuf N "[Deprecated] Readiness probe; never a value.";
        StartTs "container.start_ts" Abstime N "Container start as nanoseconds since the epoch: the start of its PID namespace's init, from the kernel.";
        Duration "container.duration" Reltime N "Nanoseconds since container.start_ts.";
        IpAddr "container.ip" Charbuf N "The container's (pod's) primary IPv4 address, from the runtime.";
        CniJson "container.cni.json" Charbuf N "The pod's CNI result as unparsed JSON (CRI runtimes).";
        HostPid "container.host_pid" Bool N "True when the container shares the host PID namespace.";
        HostNetwork "container.host_network" Bool N "True when the container shares the host network namespace.";
        HostIpc "container.host_ipc" Bool N "True when the container shares the host IPC namespace.";
        Label "container.label" Charbuf RK "A container label, e.g. container.label[app].";
        Labels "container.labels" Charbuf N "The container labels as `key:value` joined by `, `.";
    }
}

field_class! {
    /// `fd.*` fields.
    FdField, FD_FIELDS {
        Num "fd.num" Int64 N "File descriptor number.";
        Type "fd.type" Charbuf N "Type of fd: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, bpf, userfaultfd, io_uring, memfd, pidfd.";
        Typechar "fd.typechar" Charbuf N "fd.type as one character: f, 4, 6, u, p, e, s, l, i, t, n, b, u, r, m, d, o.";
        Name "fd.name" Charbuf N "Full name: absolute path for files, connection tuple for sockets.";
        Directory "fd.directory" Charbuf N "Directory of a file fd.";
        Filename "fd.filename" Charbuf N "Base name of a file fd.";
        Ip "fd.ip" Ipaddr L "Matches either the client or the server IP (filters only).";
        Cip "fd.cip" Ipaddr N "Client IP address.";
        Sip "fd.sip" Ipaddr N "Server IP address.";
        Lip "fd.lip" Ipaddr N "Local IP address.";
        Rip "fd.rip" Ipaddr N "Remote IP address.";
        Port "fd.port" Port L "Matches either the client or the server port (filters only).";
        Cport "fd.cport" Port N "Client port.";
        Sport "fd.sport" Port N "Server port.";
        Lport "fd.lport" Port N "Local port.";
        Rport "fd.rport" Port N "Remote port.";
        L4proto "fd.l4proto" Charbuf N "IP protocol: tcp, udp, icmp or raw.";
        Sockfamily "fd.sockfamily" Charbuf N "Socket family: ip or unix.";
        IsServer "fd.is_server" Bool N "True when the process owning the fd is the server end.";
        Uid "fd.uid" Charbuf N "Unique fd id: thread id and fd number.";
        Containername "fd.containername" Charbuf N "Container id joined with fd.name.";
        Containerdirectory "fd.containerdirectory" Charbuf N "Container id joined with fd.directory.";
        Proto "fd.proto" Port L "Matches either the client or the server protocol (filters only).";
        Cproto "fd.cproto" Charbuf N "Client port as a service name.";
        Sproto "fd.sproto" Charbuf N "Server port as a service name.";
        Lproto "fd.lproto" Charbuf N "Local port as a service name.";
        Rproto "fd.rproto" Charbuf N "Remote port as a service name.";
        Net "fd.net" Ipnet L "Matches the client or server IP network (filters only).";
        Cnet "fd.cnet" Ipnet N "Client IP network (filters only).";
        Snet "fd.snet" Ipnet N "Server IP network (filters only).";
        Lnet "fd.lnet" Ipnet N "Local IP network (filters only).";
        Rnet "fd.rnet" Ipnet N "Remote IP network (filters only).";
        Connected "fd.connected" Bool N "True for connected sockets.";
        NameChanged "fd.name_changed" Bool N "True when this event changed fd.name (connect, accept, ...).";
        CipName "fd.cip.name" Charbuf N "Domain name of the client IP.";
        SipName "fd.sip.name" Charbuf N "Domain name of the server IP.";
        LipName "fd.lip.name" Charbuf N "Domain name of the local IP.";
        RipName "fd.rip.name" Charbuf N "Domain name of the remote IP.";
        Dev "fd.dev" Int32 N "Device number of a file fd.";
        DevMajor "fd.dev.major" Int32 N "Major device number.";
        DevMinor "fd.dev.minor" Int32 N "Minor device number.";
        Ino "fd.ino" Int64 N "Inode number of a file fd.";
        Nameraw "fd.nameraw" Charbuf N "fd.name as given to the syscall, not resolved to an absolute path.";
        Types "fd.types" Charbuf OIL "Types of the fds the process has open (distinct), or of fd N with fd.types[N].";
    }
}

field_class! {
    /// `fs.path.*` fields: paths of filesystem syscalls, fd or not.
    FsPathField, FSPATH_FIELDS {
        Name "fs.path.name" Charbuf N "Path of the filesystem syscall, resolved to an absolute path.";
        Nameraw "fs.path.nameraw" Charbuf N "Path of the filesystem syscall, as given.";
        Source "fs.path.source" Charbuf N "Source path of a two-path syscall, resolved.";
        Sourceraw "fs.path.sourceraw" Charbuf N "Source path of a two-path syscall, as given.";
        Target "fs.path.target" Charbuf N "Target path of a two-path syscall, resolved.";
        Targetraw "fs.path.targetraw" Charbuf N "Target path of a two-path syscall, as given.";
    }
}

field_class! {
    /// `fdlist.*` fields of poll/select-style events.
    FdlistField, FDLIST_FIELDS {
        Nums "fdlist.nums" Charbuf N "fd numbers of poll events, comma separated.";
        Names "fdlist.names" Charbuf N "fd names of poll events, comma separated.";
        Cips "fdlist.cips" Charbuf N "Client IPs of poll events, comma separated.";
        Sips "fdlist.sips" Charbuf N "Server IPs of poll events, comma separated.";
        Cports "fdlist.cports" Charbuf N "Client ports of poll events, comma separated.";
        Sports "fdlist.sports" Charbuf N "Server ports of poll events, comma separated.";
    }
}

field_class! {
    /// `k8s.*` fields: the pod identity CRI runtimes give (labels kubelet sets on sandboxes
    /// and containers); the rest are the container plugin's deprecated names, never a value.
    K8sField, K8S_FIELDS {
        PodName "k8s.pod.name" Charbuf N "The Kubernetes pod name, from the container runtime socket with the container.* fields.";
        NsName "k8s.ns.name" Charbuf N "The Kubernetes namespace name, from the container runtime socket with the container.* fields.";
        PodId "k8s.pod.id" Charbuf N "[LEGACY] The Kubernetes pod UID; use k8s.pod.uid.";
        PodUid "k8s.pod.uid" Charbuf N "The Kubernetes pod UID, e.g. 3e41dc6b-08a8-44db-bc2a-3724b18ab19a.";
        PodSandboxId "k8s.pod.sandbox_id" Charbuf N "The truncated Kubernetes pod sandbox ID (first 12 characters).";
        PodFullSandboxId "k8s.pod.full_sandbox_id" Charbuf N "The full Kubernetes pod / sandbox ID.";
        PodLabel "k8s.pod.label" Charbuf RK "The Kubernetes pod label, e.g. k8s.pod.label[app.kubernetes.io/name].";
        PodLabels "k8s.pod.labels" Charbuf N "The Kubernetes pod comma-separated key/value labels, e.g. 'foo1:bar1, foo2:bar2'.";
        PodIp "k8s.pod.ip" Charbuf N "The Kubernetes pod ip (IPv4 only).";
        PodCniJson "k8s.pod.cni.json" Charbuf N "The Kubernetes pod CNI result, as unparsed JSON.";
        RcName "k8s.rc.name" Charbuf N "[Deprecated] Replication Controller Name.";
        RcId "k8s.rc.id" Charbuf N "[Deprecated] Replication Controller ID.";
        RcLabel "k8s.rc.label" Charbuf RK "[Deprecated] Replication Controller Label.";
        RcLabels "k8s.rc.labels" Charbuf N "[Deprecated] Replication Controller Labels.";
        SvcName "k8s.svc.name" Charbuf N "[Deprecated] Service Name.";
        SvcId "k8s.svc.id" Charbuf N "[Deprecated] Service ID.";
        SvcLabel "k8s.svc.label" Charbuf RK "[Deprecated] Service Label.";
        SvcLabels "k8s.svc.labels" Charbuf N "[Deprecated] Service Labels.";
        NsId "k8s.ns.id" Charbuf N "[Deprecated] Namespace ID.";
        NsLabel "k8s.ns.label" Charbuf RK "[Deprecated] Namespace Label.";
        NsLabels "k8s.ns.labels" Charbuf N "[Deprecated] Namespace Labels.";
        RsName "k8s.rs.name" Charbuf N "[Deprecated] Replica Set Name.";
        RsId "k8s.rs.id" Charbuf N "[Deprecated] Replica Set ID.";
        RsLabel "k8s.rs.label" Charbuf RK "[Deprecated] Replica Set Label.";
        RsLabels "k8s.rs.labels" Charbuf N "[Deprecated] Replica Set Labels.";
        DeploymentName "k8s.deployment.name" Charbuf N "[Deprecated] Deployment Name.";
        DeploymentId "k8s.deployment.id" Charbuf N "[Deprecated] Deployment ID.";
        DeploymentLabel "k8s.deployment.label" Charbuf RK "[Deprecated] Deployment Label.";
        DeploymentLabels "k8s.deployment.labels" Charbuf N "[Deprecated] Deployment Labels.";
    }
}

/// A field class and its rows, as `--list` prints them.
pub static CLASSES: &[FieldClass] = &[
    FieldClass {
        name: "evt",
        source: "syscall",
        desc: "Fields that apply to every event.",
        fields: GEN_FIELDS,
    },
    FieldClass {
        name: "evt",
        source: "syscall",
        desc: "Fields of syscall events. Most event arguments are reachable through evt.arg, e.g. evt.arg.filename.",
        fields: EVT_FIELDS,
    },
    FieldClass {
        name: "process",
        source: "syscall",
        desc: "The process and thread executing the syscall.",
        fields: PROC_FIELDS,
    },
    FieldClass {
        name: "user",
        source: "syscall",
        desc: "The user executing the syscall.",
        fields: USER_FIELDS,
    },
    FieldClass {
        name: "group",
        source: "syscall",
        desc: "The user group executing the syscall.",
        fields: GROUP_FIELDS,
    },
    FieldClass {
        name: "container",
        source: "syscall",
        desc: "The container the syscall ran in: id and type from the cgroups, the rest from the container runtimes.",
        fields: CONTAINER_FIELDS,
    },
    FieldClass {
        name: "fd",
        source: "syscall",
        desc: "The file descriptor the syscall uses or creates.",
        fields: FD_FIELDS,
    },
    FieldClass {
        name: "fs.path",
        source: "syscall",
        desc: "Paths of filesystem syscalls, whether or not they use an fd.",
        fields: FSPATH_FIELDS,
    },
    FieldClass {
        name: "fdlist",
        source: "syscall",
        desc: "The fd lists of poll and select events.",
        fields: FDLIST_FIELDS,
    },
    FieldClass {
        name: "k8s",
        source: "syscall",
        desc: "Kubernetes pod identity from the CRI runtimes' labels.",
        fields: K8S_FIELDS,
    },
];

/// A field identity: the class and the row. Encoded in `ResolvedField::id` as
/// `class << 16 | row`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FieldId {
    Gen(GenField),
    Evt(EvtField),
    Proc(ProcField),
    User(UserField),
    Group(GroupField),
    Container(ContainerField),
    Fd(FdField),
    FsPath(FsPathField),
    Fdlist(FdlistField),
    K8s(K8sField),
}

impl FieldId {
    /// The field at `row` of class `class` (indices into [`CLASSES`]).
    pub fn from_parts(class: usize, row: usize) -> Option<FieldId> {
        Some(match class {
            0 => FieldId::Gen(*GenField::ALL.get(row)?),
            1 => FieldId::Evt(*EvtField::ALL.get(row)?),
            2 => FieldId::Proc(*ProcField::ALL.get(row)?),
            3 => FieldId::User(*UserField::ALL.get(row)?),
            4 => FieldId::Group(*GroupField::ALL.get(row)?),
            5 => FieldId::Container(*ContainerField::ALL.get(row)?),
            6 => FieldId::Fd(*FdField::ALL.get(row)?),
            7 => FieldId::FsPath(*FsPathField::ALL.get(row)?),
            8 => FieldId::Fdlist(*FdlistField::ALL.get(row)?),
            9 => FieldId::K8s(*K8sField::ALL.get(row)?),
            _ => return None,
        })
    }

    /// Decodes `ResolvedField::id`.
    pub fn from_raw(id: u32) -> Option<FieldId> {
        FieldId::from_parts((id >> 16) as usize, (id & 0xffff) as usize)
    }

    /// Encodes for `ResolvedField::id`.
    pub fn raw(self) -> u32 {
        let (class, row) = match self {
            FieldId::Gen(f) => (0, f as u32),
            FieldId::Evt(f) => (1, f as u32),
            FieldId::Proc(f) => (2, f as u32),
            FieldId::User(f) => (3, f as u32),
            FieldId::Group(f) => (4, f as u32),
            FieldId::Container(f) => (5, f as u32),
            FieldId::Fd(f) => (6, f as u32),
            FieldId::FsPath(f) => (7, f as u32),
            FieldId::Fdlist(f) => (8, f as u32),
            FieldId::K8s(f) => (9, f as u32),
        };
        class << 16 | row
    }

    /// The static row describing this field.
    pub fn info(self) -> &'static FieldInfo {
        let raw = self.raw();
        // PANIC: cannot happen: the enums and the tables are generated together by
        // `field_class!`, and `raw` maps each enum to its class's position in CLASSES.
        &CLASSES[(raw >> 16) as usize].fields[(raw & 0xffff) as usize]
    }
}
