// SPDX-License-Identifier: GPL-2.0
/*
 * Cache-bypass swapin for shmem: wait queues for swapin markers, the runtime
 * switch and its sysfs interface.
 *
 * A task that meets a swapin marker in a shmem mapping sleeps on a hashed wait
 * queue keyed by (mapping, index), like DAX's locked entries, until the marker
 * is replaced by the swapped-in folio or removed by truncation.  There is no
 * polling: the party that replaces or removes a marker wakes its waiters.
 */

#include <linux/delay.h>
#include <linux/hash.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sysfs.h>
#include <linux/vmstat.h>
#include <linux/wait.h>

#include "swapin.h"

#define SHMEM_MARKER_WAIT_BITS	8
#define SHMEM_MARKER_WAIT_SIZE	BIT(SHMEM_MARKER_WAIT_BITS)

static wait_queue_head_t shmem_marker_wait_table[SHMEM_MARKER_WAIT_SIZE] __cacheline_aligned;

/* The debug_delay_us knob: debug kernels only */
#define SHMEM_SWAPIN_DELAY_KNOB	IS_ENABLED(CONFIG_DEBUG_VM)

static int shmem_swapin_mode_value __read_mostly = SHMEM_SWAPIN_MODE_BYPASS;

struct shmem_marker_key {
	struct address_space *mapping;
	pgoff_t index;
};

struct shmem_marker_waiter {
	struct shmem_marker_key key;
	wait_queue_entry_t wait;
};

static wait_queue_head_t *shmem_marker_waitqueue(struct address_space *mapping,
						 pgoff_t index)
{
	unsigned long hash = hash_long((unsigned long)mapping ^ index,
				       SHMEM_MARKER_WAIT_BITS);

	return &shmem_marker_wait_table[hash];
}

static int shmem_marker_wake_function(wait_queue_entry_t *wait,
				      unsigned int mode, int sync, void *arg)
{
	struct shmem_marker_key *key = arg;
	struct shmem_marker_waiter *waiter =
		container_of(wait, struct shmem_marker_waiter, wait);

	if (waiter->key.mapping != key->mapping ||
	    waiter->key.index != key->index)
		return 0;
	return autoremove_wake_function(wait, mode, sync, NULL);
}

/**
 * shmem_marker_wait - sleep until a swapin marker leaves a mapping slot
 * @mapping: the shmem mapping
 * @index: the slot where @marker was seen
 * @marker: the marker that was seen there
 *
 * Sleeps until the slot no longer holds @marker: its owner installed the
 * folio, put a poisoned entry there, or truncation removed the marker.  The
 * caller must look the slot up again afterwards.  The waiter is queued before
 * it rechecks the slot, and shmem_marker_wake() checks for waiters after the
 * slot changed, with full barriers on both sides, so no wake-up is lost.
 *
 * Context: process context; may sleep.  The caller must not hold a marker.
 */
void shmem_marker_wait(struct address_space *mapping, pgoff_t index,
		       void *marker)
{
	wait_queue_head_t *wq = shmem_marker_waitqueue(mapping, index);
	struct shmem_marker_waiter waiter = {
		.key.mapping = mapping,
		.key.index = index,
	};

	init_wait(&waiter.wait);
	waiter.wait.func = shmem_marker_wake_function;
	count_vm_event(SHMEM_SWAPIN_MARKER_WAIT);

	for (;;) {
		prepare_to_wait(wq, &waiter.wait, TASK_UNINTERRUPTIBLE);
		if (xa_load(&mapping->i_pages, index) != marker)
			break;
		io_schedule();
	}
	finish_wait(wq, &waiter.wait);
}

/**
 * shmem_marker_wake - wake the tasks waiting on a slot's swapin marker
 * @mapping: the shmem mapping
 * @index: the slot whose marker was just replaced or removed
 *
 * Call after the slot changed, once the xarray lock is dropped.
 */
void shmem_marker_wake(struct address_space *mapping, pgoff_t index)
{
	wait_queue_head_t *wq = shmem_marker_waitqueue(mapping, index);
	struct shmem_marker_key key = {
		.mapping = mapping,
		.index = index,
	};

	/* Pairs with the barrier in prepare_to_wait()'s set_current_state() */
	if (wq_has_sleeper(wq))
		__wake_up(wq, TASK_NORMAL, 0, &key);
}

/**
 * shmem_marker_handoff - a swapin marker was removed by truncation
 * @mapping: the shmem mapping
 * @index: the slot the marker was removed from
 *
 * Truncation, hole punch and eviction remove a marker and leave its swap slot
 * to the marker's owner; they count the handoff and wake the slot's waiters.
 */
void shmem_marker_handoff(struct address_space *mapping, pgoff_t index)
{
	count_vm_event(SHMEM_SWAPIN_HANDOFF);
	shmem_marker_wake(mapping, index);
}

/**
 * shmem_swapin_mode - the swapin path selected at run time
 *
 * Return: SHMEM_SWAPIN_MODE_BYPASS or SHMEM_SWAPIN_MODE_SWAPCACHE.
 */
enum shmem_swapin_mode shmem_swapin_mode(void)
{
	return READ_ONCE(shmem_swapin_mode_value);
}

#if SHMEM_SWAPIN_DELAY_KNOB
static unsigned int shmem_swapin_delay_us;

/**
 * shmem_swapin_debug_delay - widen the window in which a marker is held
 *
 * Debug kernels only: sleep for debug_delay_us while holding a marker, so that
 * tests and benchmarks can make races overlap.
 */
void shmem_swapin_debug_delay(void)
{
	unsigned int us = READ_ONCE(shmem_swapin_delay_us);

	if (us)
		fsleep(us);
}
#else
void shmem_swapin_debug_delay(void)
{
}
#endif

#ifdef CONFIG_SYSFS
static const char * const shmem_swapin_mode_names[SHMEM_SWAPIN_NR_MODES] = {
	[SHMEM_SWAPIN_MODE_SWAPCACHE] = "swapcache",
	[SHMEM_SWAPIN_MODE_BYPASS] = "bypass",
};

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	int cur = READ_ONCE(shmem_swapin_mode_value);
	int len = 0, i;

	for (i = 0; i < SHMEM_SWAPIN_NR_MODES; i++)
		len += sysfs_emit_at(buf, len, i == cur ? "%s[%s]" : "%s%s",
				     i ? " " : "", shmem_swapin_mode_names[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static ssize_t mode_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	int i = sysfs_match_string(shmem_swapin_mode_names, buf);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(shmem_swapin_mode_value, i);
	return count;
}

static struct kobj_attribute mode_attr = __ATTR_RW(mode);

#if SHMEM_SWAPIN_DELAY_KNOB
static ssize_t debug_delay_us_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(shmem_swapin_delay_us));
}

static ssize_t debug_delay_us_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	unsigned int us;
	int err = kstrtouint(buf, 0, &us);

	if (err)
		return err;
	if (us > USEC_PER_SEC)
		return -EINVAL;
	WRITE_ONCE(shmem_swapin_delay_us, us);
	return count;
}

static struct kobj_attribute debug_delay_us_attr = __ATTR_RW(debug_delay_us);
#endif

static struct attribute *shmem_swapin_attrs[] = {
	&mode_attr.attr,
#if SHMEM_SWAPIN_DELAY_KNOB
	&debug_delay_us_attr.attr,
#endif
	NULL,
};

static const struct attribute_group shmem_swapin_attr_group = {
	.name = "shmem_swapin",
	.attrs = shmem_swapin_attrs,
};

static int __init shmem_swapin_sysfs_init(void)
{
	return sysfs_create_group(mm_kobj, &shmem_swapin_attr_group);
}
#else
static inline int shmem_swapin_sysfs_init(void)
{
	return 0;
}
#endif /* CONFIG_SYSFS */

static int __init shmem_swapin_init(void)
{
	int i;

	for (i = 0; i < SHMEM_MARKER_WAIT_SIZE; i++)
		init_waitqueue_head(&shmem_marker_wait_table[i]);
	return shmem_swapin_sysfs_init();
}
subsys_initcall(shmem_swapin_init);
