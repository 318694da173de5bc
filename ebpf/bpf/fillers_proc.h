/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
#pragma once
/* Processes: execve/execveat, clone/fork/vfork/clone3 and the sched_process_* programs. */
