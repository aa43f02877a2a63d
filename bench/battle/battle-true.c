// SPDX-License-Identifier: GPL-2.0-only
/*
 * battle-true.c - the smallest program the battle's fork phase can execve():
 * no C library, no dynamic loader, one page of code; it only calls
 * exit(0).  So fork + execve + wait costs what the kernel does for a new
 * process (mm, VMAs, files, signal and credentials structures, the ELF
 * loader), not what a C library's start-up does.  x86_64 only.
 *
 * Built with -nostdlib -static (see bench/battle.mk).
 */
void _start(void);

void _start(void)
{
	__asm__ volatile("syscall" : : "a"(60), "D"(0) : "rcx", "r11", "memory");
	__builtin_unreachable();
}
