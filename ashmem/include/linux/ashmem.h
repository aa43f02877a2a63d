/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * linux/ashmem.h - userspace ABI of the ashmem driver (/dev/ashmem).
 *
 * The numbers, names and structure below are those of the last upstream
 * ashmem driver (Linux 5.17 staging, plus ASHMEM_GET_FILE_ID from Android
 * kernels), so programs built for Android or for the old staging driver
 * work unchanged.  The header is self-contained, includes only uapi headers
 * and is usable from C and C++.
 *
 * Layout: struct ashmem_pin is two __u32 and has the same layout on 32- and
 * 64-bit.  SET_SIZE, SET_PROT_MASK and GET_FILE_ID encode the size of a
 * size_t or unsigned long in their numbers, as upstream did, so a 32-bit
 * process issues different numbers; the driver accepts both (the COMPAT_*
 * values below are the 32-bit numbers, for reference and for tests).
 */
#ifndef _UAPI_LINUX_ASHMEM_H
#define _UAPI_LINUX_ASHMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ASHMEM_NAME_LEN		256

#define ASHMEM_NAME_DEF		"dev/ashmem"

/* Return values from ASHMEM_PIN: Was the mapping purged while unpinned? */
#define ASHMEM_NOT_PURGED	0
#define ASHMEM_WAS_PURGED	1

/* Return values from ASHMEM_GET_PIN_STATUS: Is the mapping pinned? */
#define ASHMEM_IS_UNPINNED	0
#define ASHMEM_IS_PINNED	1

/* A page range for PIN, UNPIN and GET_PIN_STATUS; len == 0: to the end. */
struct ashmem_pin {
	__u32 offset;	/* offset into region, in bytes, page-aligned */
	__u32 len;	/* length forward from offset, in bytes, page-aligned */
};

#define __ASHMEMIOC		0x77

#define ASHMEM_SET_NAME		_IOW(__ASHMEMIOC, 1, char[ASHMEM_NAME_LEN])
#define ASHMEM_GET_NAME		_IOR(__ASHMEMIOC, 2, char[ASHMEM_NAME_LEN])
#define ASHMEM_SET_SIZE		_IOW(__ASHMEMIOC, 3, __kernel_size_t)
#define ASHMEM_GET_SIZE		_IO(__ASHMEMIOC, 4)
#define ASHMEM_SET_PROT_MASK	_IOW(__ASHMEMIOC, 5, __kernel_ulong_t)
#define ASHMEM_GET_PROT_MASK	_IO(__ASHMEMIOC, 6)
#define ASHMEM_PIN		_IOW(__ASHMEMIOC, 7, struct ashmem_pin)
#define ASHMEM_UNPIN		_IOW(__ASHMEMIOC, 8, struct ashmem_pin)
#define ASHMEM_GET_PIN_STATUS	_IO(__ASHMEMIOC, 9)
#define ASHMEM_PURGE_ALL_CACHES	_IO(__ASHMEMIOC, 10)
#define ASHMEM_GET_FILE_ID	_IOR(__ASHMEMIOC, 11, __kernel_ulong_t)

/* The numbers a 32-bit process uses where the argument type is 32-bit. */
#define COMPAT_ASHMEM_SET_SIZE		_IOW(__ASHMEMIOC, 3, __u32)
#define COMPAT_ASHMEM_SET_PROT_MASK	_IOW(__ASHMEMIOC, 5, __u32)
#define COMPAT_ASHMEM_GET_FILE_ID	_IOR(__ASHMEMIOC, 11, __u32)

#endif /* _UAPI_LINUX_ASHMEM_H */
