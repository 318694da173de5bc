/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
#pragma once
/* Credentials, namespaces, signals, modules, bpf, prctl and ptrace: as kmod/events.rs. */
