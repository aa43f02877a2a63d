// SPDX-License-Identifier: GPL-2.0-only
/*
 * ashmem_main.c - the /dev/ashmem misc device: areas, ioctls and mmap.
 *
 * Each open of /dev/ashmem is an area: a name, a size and a protection
 * mask set by ioctl, then mmap()ed.  The first mmap creates the backing
 * shmem file; from then on size and name are fixed, mappings of the area
 * are mappings of that file, and read/llseek go through it.  The mask can
 * only lose bits, and mmap() and later mprotect() cannot exceed it: mmap
 * refuses wider protections and clears the VM_MAY* bits the mask forbids.
 * What the backing file itself allows is in ashmem_backing.c.
 *
 * Locking is described in ashmem_internal.h.
 */
#define pr_fmt(fmt) "ashmem: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/personality.h>
#include <linux/capability.h>
#include <linux/seq_file.h>
#include <linux/compat.h>
#include "compat.h"
#include "ashmem_internal.h"

DEFINE_MUTEX(ashmem_mutex);

static struct kmem_cache *ashmem_area_cachep;

static unsigned long prot_to_vm(unsigned long prot)
{
	return (prot & PROT_READ ? VM_READ : 0) |
	       (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

static unsigned long prot_to_vm_may(unsigned long prot)
{
	return (prot & PROT_READ ? VM_MAYREAD : 0) |
	       (prot & PROT_WRITE ? VM_MAYWRITE : 0) |
	       (prot & PROT_EXEC ? VM_MAYEXEC : 0);
}

static int ashmem_open(struct inode *inode, struct file *file)
{
	struct ashmem_area *asma;
	int ret;

	ret = generic_file_open(inode, file);
	if (ret)
		return ret;

	asma = kmem_cache_zalloc(ashmem_area_cachep, GFP_KERNEL);
	if (!asma)
		return -ENOMEM;

	asma->unpinned = RB_ROOT;
	memcpy(asma->name, ASHMEM_NAME_PREFIX, ASHMEM_NAME_PREFIX_LEN);
	asma->prot_mask = ASHMEM_PROT_ALL;
	atomic_set(&asma->purging, 0);
	file->private_data = asma;
	return 0;
}

static int ashmem_release(struct inode *ignored, struct file *file)
{
	struct ashmem_area *asma = file->private_data;

	mutex_lock(&ashmem_mutex);
	ashmem_range_release_all(asma);
	ashmem_wait_for_purges(asma, false);
	mutex_unlock(&ashmem_mutex);

	if (asma->file)
		fput(asma->file);
	kmem_cache_free(ashmem_area_cachep, asma);
	return 0;
}

/*
 * The backing file must exist to read or seek; before the first mmap an
 * area of size 0 reads as empty, any other is EBADF, as in the old driver.
 * The file stays valid while our caller holds @file open.
 */
static struct file *ashmem_backing_file(struct ashmem_area *asma, int *err)
{
	struct file *backing;

	mutex_lock(&ashmem_mutex);
	backing = asma->file;
	if (!backing)
		*err = asma->size ? -EBADF : 0;
	mutex_unlock(&ashmem_mutex);
	return backing;
}

static ssize_t ashmem_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct ashmem_area *asma = iocb->ki_filp->private_data;
	struct file *backing;
	int err;

	backing = ashmem_backing_file(asma, &err);
	if (!backing)
		return err;
	return ashmem_backing_read(backing, iocb, iter);
}

static loff_t ashmem_llseek(struct file *file, loff_t offset, int whence)
{
	struct ashmem_area *asma = file->private_data;
	struct file *backing;
	loff_t ret;
	int err;

	backing = ashmem_backing_file(asma, &err);
	if (!backing)
		return err ? err : -EINVAL;

	switch (whence) {
	case SEEK_DATA:
	case SEEK_HOLE:
		ret = ashmem_backing_seek_data(backing, offset, whence);
		if (ret < 0)
			return ret;
		return vfs_setpos(file, ret, MAX_LFS_FILESIZE);
	default:
		return generic_file_llseek_size(file, offset, whence,
						MAX_LFS_FILESIZE,
						i_size_read(file_inode(backing)));
	}
}

static int ashmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ashmem_area *asma = file->private_data;
	char name[ASHMEM_FULL_NAME_LEN];
	unsigned long pages, forbidden;
	struct file *vmfile;
	size_t size;
	int ret = 0;

	mutex_lock(&ashmem_mutex);
	while (!asma->file) {
		/* create the backing file unlocked, then check nothing moved */
		size = asma->size;
		if (!size) {
			ret = -EINVAL;
			goto out;
		}
		memcpy(name, asma->name, sizeof(name));
		mutex_unlock(&ashmem_mutex);

		vmfile = ashmem_backing_create(name[ASHMEM_NAME_PREFIX_LEN] ?
					       name : ASHMEM_NAME_DEF,
					       size, vma->vm_flags);
		if (IS_ERR(vmfile))
			return PTR_ERR(vmfile);

		mutex_lock(&ashmem_mutex);
		if (!asma->file && asma->size == size &&
		    !strcmp(name, asma->name)) {
			asma->file = vmfile;
			break;
		}
		/* lost a race with SET_SIZE, SET_NAME or another mmap */
		mutex_unlock(&ashmem_mutex);
		fput(vmfile);
		mutex_lock(&ashmem_mutex);
	}

	/* the mapping must lie inside the page-aligned size */
	pages = PAGE_ALIGN(asma->size) >> PAGE_SHIFT;
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff) {
		ret = -EINVAL;
		goto out;
	}

	/* no protection outside the mask, now or by a later mprotect() */
	if (vma->vm_flags & ~prot_to_vm(asma->prot_mask) &
	    (VM_READ | VM_WRITE | VM_EXEC)) {
		ret = -EPERM;
		goto out;
	}
	forbidden = prot_to_vm_may(~asma->prot_mask & ASHMEM_PROT_ALL);
	ashmem_vma_clear_flags(vma, forbidden);
	vmfile = asma->file;	/* fixed from now on */
	mutex_unlock(&ashmem_mutex);

	/*
	 * Map the backing file.  A private mapping is anonymous memory, as
	 * in the old driver (it was SIGBUS when vm_ops was left unset), but
	 * it keeps the backing file so /proc/<pid>/maps shows the name.  A
	 * MAP_SHARED mapping of a read-only open has VM_MAYSHARE without
	 * VM_SHARED (it can never be written), and is shared all the same.
	 */
	vma_set_file(vma, vmfile);
	if (vma->vm_flags & VM_MAYSHARE)
		return ashmem_backing_map(vmfile, vma);
	vma_set_anonymous(vma);
	return 0;
out:
	mutex_unlock(&ashmem_mutex);
	return ret;
}

static long set_name(struct ashmem_area *asma, void __user *uname)
{
	char local[ASHMEM_NAME_LEN];
	long len;
	int ret = 0;

	/* copy from the user before locking (see ashmem_internal.h) */
	len = strncpy_from_user(local, uname, sizeof(local));
	if (len < 0)
		return -EFAULT;
	local[sizeof(local) - 1] = '\0';	/* longer names are cut */

	mutex_lock(&ashmem_mutex);
	if (asma->file)
		ret = -EINVAL;		/* fixed once mapped */
	else
		strscpy(asma->name + ASHMEM_NAME_PREFIX_LEN, local,
			ASHMEM_NAME_LEN);
	mutex_unlock(&ashmem_mutex);
	return ret;
}

static long get_name(struct ashmem_area *asma, void __user *uname)
{
	char local[ASHMEM_NAME_LEN];
	ssize_t len;

	/*
	 * Copy under the lock, copy out after it, and only the string and
	 * its NUL: the old driver once copied a whole, partly uninitialised
	 * stack buffer to the user.
	 */
	mutex_lock(&ashmem_mutex);
	if (asma->name[ASHMEM_NAME_PREFIX_LEN] != '\0')
		len = strscpy(local, asma->name + ASHMEM_NAME_PREFIX_LEN,
			      sizeof(local));
	else
		len = strscpy(local, ASHMEM_NAME_DEF, sizeof(local));
	mutex_unlock(&ashmem_mutex);
	if (WARN_ON_ONCE(len < 0))	/* both always fit */
		return -EINVAL;

	if (copy_to_user(uname, local, len + 1))
		return -EFAULT;
	return 0;
}

static long set_size(struct ashmem_area *asma, unsigned long size)
{
	int ret = 0;

	if (size > MAX_LFS_FILESIZE)
		return -EINVAL;		/* shmem could never back it */

	/* check and set under one lock: CVE-2017-13216 raced the two */
	mutex_lock(&ashmem_mutex);
	if (asma->file)
		ret = -EINVAL;
	else
		asma->size = size;
	mutex_unlock(&ashmem_mutex);
	return ret;
}

static long set_prot_mask(struct ashmem_area *asma, unsigned long prot)
{
	int ret = 0;

	mutex_lock(&ashmem_mutex);
	/*
	 * Does the application expect PROT_READ to imply PROT_EXEC?  Then
	 * keep PROT_EXEC in the mask, as the old driver did, but only while
	 * the mask still has it: a mask that lost PROT_EXEC cannot get it
	 * back, and asking again for the mask it has must not fail.
	 */
	if ((prot & PROT_READ) && (current->personality & READ_IMPLIES_EXEC) &&
	    (asma->prot_mask & PROT_EXEC))
		prot |= PROT_EXEC;
	if (prot & ~asma->prot_mask)
		ret = -EINVAL;		/* bits can only be removed */
	else
		asma->prot_mask = prot;
	mutex_unlock(&ashmem_mutex);
	return ret;
}

/* PIN, UNPIN and GET_PIN_STATUS */
static long pin_unpin(struct ashmem_area *asma, unsigned int cmd,
		      void __user *upin)
{
	struct ashmem_range *prealloc = NULL;
	struct ashmem_pin pin;
	u64 start, end, limit;
	size_t pgstart, pgend;
	long ret;

	if (copy_from_user(&pin, upin, sizeof(pin)))
		return -EFAULT;
	if (!PAGE_ALIGNED(pin.offset) || !PAGE_ALIGNED(pin.len))
		return -EINVAL;

	/* PIN or UNPIN may need one new range: allocate it unlocked */
	if (cmd != ASHMEM_GET_PIN_STATUS) {
		prealloc = ashmem_range_prealloc();
		if (!prealloc)
			return -ENOMEM;
	}

	mutex_lock(&ashmem_mutex);
	/* checked under the lock: the area may be mapped concurrently */
	ret = -EINVAL;
	if (!asma->file)
		goto out;
	/* 64-bit arithmetic: offset + len cannot wrap */
	limit = PAGE_ALIGN((u64)asma->size);
	start = pin.offset;
	end = pin.len ? start + pin.len : limit;
	if (start >= end || end > limit)
		goto out;
	pgstart = start >> PAGE_SHIFT;
	pgend = (end >> PAGE_SHIFT) - 1;

	switch (cmd) {
	case ASHMEM_PIN:
		ret = ashmem_wait_for_purges(asma, true);
		if (!ret)
			ret = ashmem_pin(asma, pgstart, pgend, &prealloc);
		break;
	case ASHMEM_UNPIN:
		ret = ashmem_unpin(asma, pgstart, pgend, &prealloc);
		break;
	default:
		ret = ashmem_pin_status(asma, pgstart, pgend);
		break;
	}
out:
	mutex_unlock(&ashmem_mutex);
	ashmem_range_free(prealloc);
	return ret;
}

static long purge_all_caches(void)
{
	unsigned long freed;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	freed = ashmem_purge_all();
	return min_t(unsigned long, freed, INT_MAX);
}

/*
 * ASHMEM_GET_FILE_ID, as Android's common kernel: the backing inode's
 * number (what stat() of /proc/<pid>/map_files/... says), EINVAL before
 * the first mmap.  A 32-bit caller gets EOVERFLOW rather than a truncated
 * number.
 */
static long get_file_id(struct ashmem_area *asma, void __user *uid,
			bool compat)
{
	unsigned long ino;

	mutex_lock(&ashmem_mutex);
	ino = asma->file ? file_inode(asma->file)->i_ino : 0;
	mutex_unlock(&ashmem_mutex);
	if (!ino)
		return -EINVAL;
	if (compat) {
		if (ino > U32_MAX)
			return -EOVERFLOW;
		return put_user((u32)ino, (u32 __user *)uid) ? -EFAULT : 0;
	}
	return put_user(ino, (unsigned long __user *)uid) ? -EFAULT : 0;
}

static long ashmem_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct ashmem_area *asma = file->private_data;
	long ret;

	switch (cmd) {
	case ASHMEM_SET_NAME:
		return set_name(asma, (void __user *)arg);
	case ASHMEM_GET_NAME:
		return get_name(asma, (void __user *)arg);
	case ASHMEM_SET_SIZE:
		return set_size(asma, arg);
	case ASHMEM_GET_SIZE:
		/* the ioctl syscall returns an int: say so rather than cut */
		mutex_lock(&ashmem_mutex);
		ret = asma->size > INT_MAX ? -EOVERFLOW : asma->size;
		mutex_unlock(&ashmem_mutex);
		return ret;
	case ASHMEM_SET_PROT_MASK:
		return set_prot_mask(asma, arg);
	case ASHMEM_GET_PROT_MASK:
		mutex_lock(&ashmem_mutex);
		ret = asma->prot_mask;
		mutex_unlock(&ashmem_mutex);
		return ret;
	case ASHMEM_PIN:
	case ASHMEM_UNPIN:
	case ASHMEM_GET_PIN_STATUS:
		return pin_unpin(asma, cmd, (void __user *)arg);
	case ASHMEM_PURGE_ALL_CACHES:
		return purge_all_caches();
	case ASHMEM_GET_FILE_ID:
		return get_file_id(asma, (void __user *)arg, false);
	}
	return -ENOTTY;
}

#ifdef CONFIG_COMPAT
/* 32-bit processes: three numbers differ, and pointers need compat_ptr(). */
static long ashmem_compat_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct ashmem_area *asma = file->private_data;

	switch (cmd) {
	case COMPAT_ASHMEM_SET_SIZE:
		return set_size(asma, arg);
	case COMPAT_ASHMEM_SET_PROT_MASK:
		return set_prot_mask(asma, arg);
	case COMPAT_ASHMEM_GET_FILE_ID:
		return get_file_id(asma, compat_ptr(arg), true);
	case ASHMEM_SET_NAME:
	case ASHMEM_GET_NAME:
	case ASHMEM_PIN:
	case ASHMEM_UNPIN:
	case ASHMEM_GET_PIN_STATUS:
		arg = (unsigned long)compat_ptr(arg);
		break;
	}
	return ashmem_ioctl(file, cmd, arg);
}
#endif

static void ashmem_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct ashmem_area *asma = file->private_data;
	struct ashmem_range *range;
	unsigned int n = 0;

	mutex_lock(&ashmem_mutex);
	if (asma->file)
		seq_printf(m, "inode:\t%lu\n", file_inode(asma->file)->i_ino);
	if (asma->name[ASHMEM_NAME_PREFIX_LEN] != '\0') {
		/* escaped: a name must not be able to forge lines */
		seq_puts(m, "name:\t");
		seq_escape(m, asma->name + ASHMEM_NAME_PREFIX_LEN, "\n\\");
		seq_putc(m, '\n');
	}
	seq_printf(m, "size:\t%zu\n", asma->size);
	seq_printf(m, "prot_mask:\t%lu\n", asma->prot_mask);
	seq_printf(m, "unpinned_ranges:\t%lu\n", asma->nr_ranges);
	/*
	 * The first ranges, one line each: first page, last page, purged,
	 * pages counted on the LRU.
	 */
	for (range = ashmem_range_first(asma);
	     range && n < ASHMEM_FDINFO_RANGES;
	     range = ashmem_range_next(range), n++)
		seq_printf(m, "unpinned:\t%zu %zu %u %zu\n", range->pgstart,
			   range->pgend, range->purged, range->lru_pages);
	mutex_unlock(&ashmem_mutex);
}

static const struct file_operations ashmem_fops = {
	.owner = THIS_MODULE,
	.open = ashmem_open,
	.release = ashmem_release,
	.read_iter = ashmem_read_iter,
	.llseek = ashmem_llseek,
	.mmap = ashmem_mmap,
	.unlocked_ioctl = ashmem_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = ashmem_compat_ioctl,
#endif
	.show_fdinfo = ashmem_show_fdinfo,
	.get_unmapped_area = ashmem_get_unmapped_area,
};

/*
 * The node is root's alone, the kernel's default: who else may open it is
 * userspace policy (Android's ueventd makes it 0666; the Debian package
 * ships a udev rule that does the same, see README.md).
 */
static struct miscdevice ashmem_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ashmem",
	.fops = &ashmem_fops,
};

static int __init ashmem_init(void)
{
	int ret;

	ashmem_area_cachep = kmem_cache_create("ashmem_area_cache",
					       sizeof(struct ashmem_area),
					       0, SLAB_ACCOUNT, NULL);
	if (!ashmem_area_cachep)
		return -ENOMEM;

	ret = ashmem_backing_init();
	if (ret)
		goto out_area;

	ret = ashmem_range_init();
	if (ret)
		goto out_area;

	ret = ashmem_shrink_init();
	if (ret)
		goto out_range;

	ret = misc_register(&ashmem_misc);
	if (ret)
		goto out_shrink;

	pr_info("initialized\n");
	return 0;

out_shrink:
	ashmem_shrink_exit();
out_range:
	ashmem_range_exit();
out_area:
	kmem_cache_destroy(ashmem_area_cachep);
	return ret;
}

static void __exit ashmem_exit(void)
{
	misc_deregister(&ashmem_misc);
	ashmem_shrink_exit();
	ashmem_range_exit();
	kmem_cache_destroy(ashmem_area_cachep);
}

module_init(ashmem_init);
module_exit(ashmem_exit);

MODULE_DESCRIPTION("Anonymous shared memory (ashmem) for current kernels");
MODULE_LICENSE("GPL");
