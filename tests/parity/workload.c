// SPDX-License-Identifier: Apache-2.0
// The parity workload (scripts/vm-test's parity step, tests/parity/README.md): one fixed sequence
// of syscalls over files, sockets, processes and memory, run once under the kernel module and once
// under the modern eBPF driver so that the two captures can be compared event by event.
//
// usage: parity-workload DIR GO_FIFO   (waits until GO_FIFO is opened for writing, so that the
// capture is running before the first syscall of interest; DIR is a scratch directory, recreated).
// Deterministic on purpose: same calls, same arguments, same order, same fds on every run.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char p[256];

// path(DIR, name): DIR/name in a static buffer (one at a time).
static const char *path(const char *dir, const char *name)
{
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

static void files(const char *d)
{
	char buf[64];
	char q[256];
	int fd = open("/etc/shadow", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, buf, sizeof buf) < 0)
			perror("read");
		close(fd);
	}
	fd = openat(AT_FDCWD, path(d, "f"), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0640);
	if (write(fd, "hello parity\n", 13) < 0 || pwrite(fd, "HP", 2, 0) < 0)
		perror("write");
	fsync(fd);
	ftruncate(fd, 8);
	close(fd);
	fd = creat(path(d, "c"), 0600);
	close(fd);
	fd = open(path(d, "does-not-exist"), O_RDONLY); // ENOENT
	struct stat st;
	stat(path(d, "f"), &st);
	lstat(path(d, "f"), &st);
	access(path(d, "f"), R_OK);
	chmod(path(d, "f"), 0600);
	chown(path(d, "f"), 0, 0);
	mkdir(path(d, "sub"), 0755);
	mkdirat(AT_FDCWD, path(d, "sub2"), 0700);
	snprintf(q, sizeof q, "%s/g", d);
	rename(path(d, "f"), q);
	link(q, path(d, "hard"));
	symlink(q, path(d, "sym"));
	if (readlink(path(d, "sym"), buf, sizeof buf) < 0)
		perror("readlink");
	snprintf(q, sizeof q, "%s/sub2", d);
	rmdir(q);
	unlink(path(d, "hard"));
	unlinkat(AT_FDCWD, path(d, "sym"), 0);
	truncate(path(d, "g"), 4);
	fd = open(path(d, "g"), O_RDWR | O_APPEND);
	int d1 = dup(fd);
	dup2(fd, 20);
	dup3(fd, 21, O_CLOEXEC);
	fcntl(fd, F_DUPFD_CLOEXEC, 30);
	lseek(fd, 0, SEEK_SET);
	if (read(fd, buf, 4) < 0)
		perror("read g");
	close(21);
	close(20);
	close(d1);
	close(fd);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) == 0) {
		if (write(pfd[1], "x", 1) < 0 || read(pfd[0], buf, 1) < 0)
			perror("pipe");
		close(pfd[0]);
		close(pfd[1]);
	}
	chdir(d);
	chdir("/");
	umask(022);
	fd = memfd_create("parity-memfd", MFD_CLOEXEC);
	close(fd);
}

static void net(const char *d)
{
	char buf[32];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(47123) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bind(l, (struct sockaddr *)&a, sizeof a);
	listen(l, 4);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	// A fixed client port: the tuples must not differ by an ephemeral port.
	struct sockaddr_in ca = a;
	ca.sin_port = htons(47124);
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bind(c, (struct sockaddr *)&ca, sizeof ca);
	connect(c, (struct sockaddr *)&a, sizeof a);
	int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	sendto(c, "ping", 4, 0, NULL, 0);
	recvfrom(s, buf, sizeof buf, 0, NULL, NULL);
	if (write(s, "pong", 4) < 0 || read(c, buf, sizeof buf) < 0)
		perror("tcp");
	struct iovec iov = { .iov_base = "msg", .iov_len = 3 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	sendmsg(c, &m, 0);
	iov.iov_base = buf;
	iov.iov_len = sizeof buf;
	recvmsg(s, &m, 0);
	shutdown(c, SHUT_WR);
	close(s);
	close(c);
	close(l);
	// UDP, connected and not.
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons(47125);
	bind(u, (struct sockaddr *)&a, sizeof a);
	int v = socket(AF_INET, SOCK_DGRAM, 0);
	ca.sin_port = htons(47126);
	bind(v, (struct sockaddr *)&ca, sizeof ca);
	sendto(v, "udp", 3, 0, (struct sockaddr *)&a, sizeof a);
	recvfrom(u, buf, sizeof buf, 0, NULL, NULL);
	close(u);
	close(v);
	// Unix sockets: a pair, and a named one.
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	if (write(sp[0], "u", 1) < 0 || read(sp[1], buf, 1) < 0)
		perror("socketpair");
	close(sp[0]);
	close(sp[1]);
	struct sockaddr_un ua = { .sun_family = AF_UNIX };
	snprintf(ua.sun_path, sizeof ua.sun_path, "%s/sock", d);
	int us = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(us, (struct sockaddr *)&ua, sizeof ua);
	listen(us, 1);
	int uc = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(uc, (struct sockaddr *)&ua, sizeof ua);
	int ua2 = accept(us, NULL, NULL);
	close(ua2);
	close(uc);
	close(us);
	unlink(ua.sun_path);
	// A refused connection (no listener), from a fixed port too.
	a.sin_port = htons(47127);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ca.sin_port = htons(47128);
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bind(c, (struct sockaddr *)&ca, sizeof ca);
	connect(c, (struct sockaddr *)&a, sizeof a);
	close(c);
}

static void procs(void)
{
	pid_t c = fork();
	if (c == 0) {
		char *argv[] = { "true", "parity-arg", NULL };
		char *envp[] = { "PARITY=1", NULL };
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	int status;
	waitpid(c, &status, 0);
	c = fork();
	if (c == 0) {
		char *argv[] = { "missing", NULL };
		execve("/nonexistent/parity-missing", argv, argv + 1); // ENOENT
		unshare(CLONE_NEWUTS);
		setresuid(0, 0, 0);
		setgid(0);
		setuid(0);
		_exit(3);
	}
	waitpid(c, &status, 0);
	c = vfork();
	if (c == 0)
		_exit(0);
	waitpid(c, &status, 0);
	prctl(PR_SET_NAME, "parity-wl2", 0, 0, 0);
	kill(getpid(), 0);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	setrlimit(RLIMIT_NOFILE, &rl);
	void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED) {
		mprotect(m, 4096, PROT_READ);
		munmap(m, 8192);
	}
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: parity-workload DIR GO_FIFO\n");
		return 2;
	}
	const char *d = argv[1];
	mkdir(d, 0755);
	int go = open(argv[2], O_RDONLY); // blocks until the capture is on
	if (go < 0) {
		perror(argv[2]);
		return 1;
	}
	close(go);
	files(d);
	net(d);
	procs();
	unlink(path(d, "g"));
	unlink(path(d, "c"));
	rmdir(path(d, "sub"));
	return 0;
}
