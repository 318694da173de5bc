/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
#pragma once
/* Socket syscalls: the same events and parameters as kmod/events.rs. */
