// SPDX-License-Identifier: GPL-2.0-only
/*
 * ashmem_backing.c - the shmem file behind a mapped area.
 *
 * The first mmap of an area creates a shmem file (shmem_file_setup()), and
 * every shared mapping of the area maps it.  Nobody may use that file
 * around /dev/ashmem's checks, yet the kernel hands it out two ways: as
 * vma->vm_file (remap_file_pages(), mremap()), and through its inode
 * (opening /proc/<pid>/map_files/<range> makes a new file from i_fop).  So
 * the file and the inode get operations of their own, copied from shmem's
 * at module load:
 *
 *   ->mmap               refuses (EPERM): a new mapping would escape the
 *                        prot mask and the size (CVE-2020-0009)
 *   ->get_unmapped_area  shmem's, asked as for a shared anonymous mapping
 *                        (no file, as /dev/zero does): shmem's own takes a
 *                        VM_BUG_ON when the file's f_op is not shmem's, and
 *                        mremap() or mmap of a map_files file reach it
 *   ->write_iter, ->splice_write, ->fallocate
 *                        refuse (EPERM): writes must respect the prot mask
 *                        and the size is fixed
 *   ->setattr            refuses (EPERM): no truncate, chmod, chown, utimes;
 *                        no xattrs, ACLs or file attributes either.  The
 *                        F_SEAL_GROW and F_SEAL_SHRINK seals back the fixed
 *                        size up inside shmem itself.
 *   ->release            see below
 *
 * Reads, llseek and stat remain.  ashmem itself calls shmem's own ->mmap,
 * ->read_iter, ->llseek and ->fallocate (the hole punch), kept from the
 * copy.
 *
 * Reclaim punches holes in these inodes (ashmem_shrink.c) and so takes
 * their i_rwsem inside fs_reclaim.  That is safe because nothing that
 * remains takes i_rwsem and then allocates: a write, fallocate or setattr
 * would, which is the other reason they are refused.  The inodes have a
 * lockdep class of their own (tmpfs files users write do take i_rwsem and
 * allocate, on other inodes), and module load tells lockdep "fs_reclaim,
 * then a backing i_rwsem" once, so anything that ever allocates under one
 * is reported at once, not only when reclaim happens to race with it.
 *
 * Module lifetime.  i_fop, i_op and the lockdep class point into this
 * module, and an inode can outlive every open file of it: an O_PATH
 * descriptor opened through map_files keeps it without any module
 * reference.  The file created here is held by the area and by every
 * mapping, so its last fput() means the region is gone; its ->release then
 * gives the inode shmem's own operations and lockdep class back, and after
 * that nothing in the inode refers to the module.  A file opened through
 * map_files holds the module through its f_op, as any open file does.
 */
#define pr_fmt(fmt) "ashmem: " fmt

#include <linux/module.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/falloc.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/shmem_fs.h>
#include <linux/sched/mm.h>
#include <linux/lockdep.h>
#include <linux/uio.h>
#include "compat.h"
#include "ashmem_internal.h"

/* shmem's operations, and our copies for backing files and inodes. */
static const struct file_operations *shmem_fops;
static const struct inode_operations *shmem_iops;
static struct file_operations ashmem_backing_fops;
static struct inode_operations ashmem_backing_iops;

static struct lock_class_key ashmem_backing_inode_key;

/*
 * The name of shmem inodes' i_rwsem class.  lockdep wants a class's key
 * and name to go together, and a name in this module would dangle after
 * unloading, so the inode gets shmem's own string back.
 */
static const char *shmem_rwsem_name;

static void lockdep_class_shmem(struct inode *inode)
{
	lockdep_set_class_and_name(&inode->i_rwsem,
				   &inode->i_sb->s_type->i_mutex_key,
				   shmem_rwsem_name);
}

static void lockdep_class_backing(struct inode *inode)
{
	lockdep_set_class_and_name(&inode->i_rwsem, &ashmem_backing_inode_key,
				   "ashmem_backing_inode_key");
}

/* private_data of the file created here (not of files opened by path) */
#define ASHMEM_BACKING_OWNER	((void *)&ashmem_backing_fops)

static int ashmem_backing_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -EPERM;
}

static ssize_t ashmem_backing_write_iter(struct kiocb *iocb,
					 struct iov_iter *from)
{
	return -EPERM;
}

static ssize_t ashmem_backing_splice_write(struct pipe_inode_info *pipe,
					   struct file *out, loff_t *ppos,
					   size_t len, unsigned int flags)
{
	return -EPERM;
}

static long ashmem_backing_fallocate(struct file *file, int mode,
				     loff_t offset, loff_t len)
{
	return -EPERM;
}

static int ashmem_backing_setattr(ASHMEM_SETATTR_ARGS)
{
	return -EPERM;
}

/*
 * For /dev/ashmem and for backing files: where to map.  shmem picks a
 * huge-page aligned address when shmem huge pages are enabled; asked with
 * no file, it does not look at f_op.
 */
unsigned long ashmem_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags)
{
	return shmem_fops->get_unmapped_area(NULL, addr, len, pgoff, flags);
}

/* The last fput() of the file created here: the region is gone. */
static int ashmem_backing_release(struct inode *inode, struct file *file)
{
	if (file->private_data != ASHMEM_BACKING_OWNER)
		return 0;	/* opened through map_files */
	WRITE_ONCE(inode->i_fop, shmem_fops);
	WRITE_ONCE(inode->i_op, shmem_iops);
	lockdep_class_shmem(inode);
	return 0;
}

/* Give a fresh backing inode our operations, class and seals. */
static void ashmem_backing_seal(struct inode *inode)
{
	inode->i_fop = &ashmem_backing_fops;
	inode->i_op = &ashmem_backing_iops;
	inode->i_opflags &= ~IOP_XATTR;
	SHMEM_I(inode)->seals |= F_SEAL_GROW | F_SEAL_SHRINK;
	lockdep_class_backing(inode);
}

/*
 * Learn shmem's operations from a probe file, build our copies, and tell
 * lockdep that backing inodes' i_rwsem is taken in reclaim.
 */
int ashmem_backing_init(void)
{
	struct file *probe;
	struct inode *inode;

	probe = shmem_file_setup("ashmem-probe", 0, VM_NORESERVE);
	if (IS_ERR(probe))
		return PTR_ERR(probe);
	shmem_fops = probe->f_op;
	inode = file_inode(probe);
	shmem_iops = inode->i_op;
	if (WARN_ON(!shmem_fops->mmap || !shmem_fops->get_unmapped_area ||
		    !shmem_fops->read_iter || !shmem_fops->llseek ||
		    !shmem_fops->fallocate || shmem_fops->release ||
		    !shmem_iops->setattr)) {
		fput(probe);
		return -EINVAL;	/* CONFIG_SHMEM=n, or a shmem we do not know */
	}

	ashmem_backing_fops = *shmem_fops;
	ashmem_backing_fops.owner = THIS_MODULE;
	ashmem_backing_fops.mmap = ashmem_backing_mmap;
	ashmem_backing_fops.get_unmapped_area = ashmem_get_unmapped_area;
	ashmem_backing_fops.write_iter = ashmem_backing_write_iter;
	ashmem_backing_fops.splice_write = ashmem_backing_splice_write;
	ashmem_backing_fops.fallocate = ashmem_backing_fallocate;
	ashmem_backing_fops.release = ashmem_backing_release;

	ashmem_backing_iops = *shmem_iops;
	ashmem_backing_iops.setattr = ashmem_backing_setattr;
	ashmem_backing_iops.set_acl = NULL;
	ashmem_backing_iops.fileattr_set = NULL;

#ifdef CONFIG_DEBUG_LOCK_ALLOC
	shmem_rwsem_name = inode->i_rwsem.dep_map.name;
#endif
	lockdep_class_backing(inode);
	fs_reclaim_acquire(GFP_KERNEL);
	inode_lock(inode);
	inode_unlock(inode);
	fs_reclaim_release(GFP_KERNEL);
	lockdep_class_shmem(inode);
	fput(probe);
	return 0;
}

/*
 * A backing file for @size bytes named @name.  Called without
 * ashmem_mutex: shmem_file_setup() allocates.
 */
struct file *ashmem_backing_create(const char *name, size_t size,
				   unsigned long vm_flags)
{
	struct file *file;

	file = shmem_file_setup(name, size, vm_flags);
	if (IS_ERR(file))
		return file;
	if (WARN_ON_ONCE(file->f_op != shmem_fops)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	ashmem_backing_seal(file_inode(file));
	file->private_data = ASHMEM_BACKING_OWNER;
	/*
	 * replace_fops() takes no reference on the new owner; the last
	 * fput() of the file drops the one taken here.  The caller holds one
	 * already (its open /dev/ashmem), so __module_get() cannot fail.
	 */
	__module_get(THIS_MODULE);
	replace_fops(file, &ashmem_backing_fops);
	return file;
}

/* A shared mapping of the area: shmem's own ->mmap on the backing file. */
int ashmem_backing_map(struct file *backing, struct vm_area_struct *vma)
{
	return shmem_fops->mmap(backing, vma);
}

/*
 * read(2) of an area: the caller's position, flags and priority, on the
 * backing file (whose own f_pos is unused).
 */
ssize_t ashmem_backing_read(struct file *backing, struct kiocb *iocb,
			    struct iov_iter *iter)
{
	struct kiocb kiocb;
	ssize_t ret;

	kiocb_clone(&kiocb, iocb, backing);
	ret = shmem_fops->read_iter(&kiocb, iter);
	if (ret > 0)
		iocb->ki_pos = kiocb.ki_pos;
	return ret;
}

/* SEEK_DATA / SEEK_HOLE: shmem knows the holes; an absolute offset. */
loff_t ashmem_backing_seek_data(struct file *backing, loff_t offset,
				int whence)
{
	return shmem_fops->llseek(backing, offset, whence);
}

/*
 * Punch a hole: frees the pages and zaps every mapping of them.  Called
 * from reclaim, so no allocation in it may recurse into filesystems (and
 * so into our shrinker).  shmem's ->fallocate is called directly:
 * vfs_fallocate() would add freeze protection and notification, neither
 * of which applies to an internal file, and the file's own ->fallocate
 * refuses.
 */
void ashmem_backing_punch(struct file *backing, loff_t start, loff_t len)
{
	unsigned int nofs = memalloc_nofs_save();

	shmem_fops->fallocate(backing, FALLOC_FL_PUNCH_HOLE |
			      FALLOC_FL_KEEP_SIZE, start, len);
	memalloc_nofs_restore(nofs);
}
