/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libashmem.h - the Android libcutils ashmem API, for any Linux system.
 *
 * Regions come from /dev/ashmem (this project's ashmem.ko) when it can be
 * opened, and from memfd_create() otherwise.  Every call works on a region
 * of either kind, whichever backend created it, so descriptors received
 * from another process work too.
 *
 * Return values follow libcutils: -1 with errno set on failure.  Calls
 * that a signal interrupts are retried; none needs /proc.
 */
#ifndef LIBASHMEM_H
#define LIBASHMEM_H

#include <stddef.h>

/*
 * What ashmem_pin_region() returns, as <linux/ashmem.h> (which may be
 * included too) and libcutils' header define them.
 */
#ifndef ASHMEM_NOT_PURGED
#define ASHMEM_NOT_PURGED	0
#endif
#ifndef ASHMEM_WAS_PURGED
#define ASHMEM_WAS_PURGED	1
#endif
#ifndef ASHMEM_IS_UNPINNED
#define ASHMEM_IS_UNPINNED	0
#endif
#ifndef ASHMEM_IS_PINNED
#define ASHMEM_IS_PINNED	1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if @fd is an ashmem region (either backend), else 0. */
int ashmem_valid(int fd);

/* A new region of @size bytes named @name (may be NULL); returns its fd. */
int ashmem_create_region(const char *name, size_t size);

/*
 * Restrict the protections mappings of the region may have to @prot
 * (PROT_READ, PROT_WRITE, PROT_EXEC); bits can only be removed.  On the
 * memfd backend removing PROT_WRITE seals the memfd against future writes
 * and against further seals (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL), as
 * libcutils does; memfds are created never executable where the kernel
 * can (MFD_NOEXEC_SEAL, Linux 6.3), and PROT_EXEC is not enforced.
 */
int ashmem_set_prot_region(int fd, int prot);

/*
 * Pin / unpin [offset, offset + len) (page-aligned; len 0: to the end).
 * Pin returns ASHMEM_NOT_PURGED (0) or ASHMEM_WAS_PURGED (1).  The memfd
 * backend never purges: unpin only checks its arguments.
 */
int ashmem_pin_region(int fd, size_t offset, size_t len);
int ashmem_unpin_region(int fd, size_t offset, size_t len);

/* The region's size in bytes; -1 with EOVERFLOW above INT_MAX. */
int ashmem_get_size_region(int fd);

/* Which backend ashmem_create_region() uses: "ashmem" or "memfd". */
const char *ashmem_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBASHMEM_H */
