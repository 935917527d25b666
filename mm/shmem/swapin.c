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
#include <linux/delayacct.h>
#include <linux/hash.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/psi.h>
#include <linux/sched.h>
#include <linux/swap.h>
#include <linux/sysfs.h>
#include <linux/vmstat.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>

#include "../swap.h"
#include "swapin.h"

#define CREATE_TRACE_POINTS
#include <trace/events/shmem_swapin.h>

#define SHMEM_MARKER_WAIT_BITS	8
#define SHMEM_MARKER_WAIT_SIZE	BIT(SHMEM_MARKER_WAIT_BITS)

static wait_queue_head_t shmem_marker_wait_table[SHMEM_MARKER_WAIT_SIZE] __cacheline_aligned;

/* The debug_delay_us knob: debug kernels only */
#define SHMEM_SWAPIN_DELAY_KNOB	IS_ENABLED(CONFIG_DEBUG_VM)

static int shmem_swapin_mode_value __read_mostly = SHMEM_SWAPIN_MODE_BYPASS;
static bool shmem_swapin_batch_value __read_mostly = true;

/*
 * Swap slots of markers that truncation removed, whose owners have not yet
 * released them, per swap type: swapoff sleeps until they are released.
 */
static atomic_t shmem_handoffs_pending[MAX_SWAPFILES];

struct shmem_marker_key {
	struct address_space *mapping;
	pgoff_t index;
};

static void shmem_swapin_debug_wait_delay(void);

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

/*
 * Whether the page that @marker stands for refaults from the workingset,
 * which its owner's workingset_refault() is about to find (or found) from the
 * same shadow entry.  Waiting for such a page is a memory stall, as waiting on
 * the locked workingset folio of a swap cache read is.  The owner holds the
 * slot, so its shadow stays until the marker is gone; a stale answer after
 * that only affects a wait that ends at once.
 */
static bool shmem_marker_thrashing(struct address_space *mapping,
				   pgoff_t index, void *marker)
{
	swp_entry_t swap = shmem_swapin_marker_entry(marker);
	struct swap_info_struct *si = NULL;
	bool workingset = false;
	void *shadow;

	/*
	 * Pin the device only while the marker is in place, under the lock
	 * its owner takes to replace it: the owner holds the slot then, so
	 * the device cannot be on its way out (swapoff waits for the slot)
	 * and get_swap_device() never meets a stale or reused entry.
	 */
	xa_lock_irq(&mapping->i_pages);
	if (xa_load(&mapping->i_pages, index) == marker)
		si = get_swap_device(swap);
	xa_unlock_irq(&mapping->i_pages);
	if (!si)
		return false;
	shadow = get_shadow_from_swap_cache(swap);
	if (shadow && !workingset_test_recent(shadow, false, &workingset, false))
		workingset = false;
	put_swap_device(si);
	return workingset;
}

#ifdef CONFIG_DEBUG_VM
/*
 * Lost wake-up detector: a waiter sleeps with a timeout; if it times out
 * still queued (nobody woke it) although its marker has left the slot, it
 * allows a late waker a grace period and then warns.
 */
#define SHMEM_MARKER_WAIT_CHECK		(5 * HZ)
#define SHMEM_MARKER_WAKE_GRACE		(5 * HZ)

static void shmem_marker_sleep(struct address_space *mapping, pgoff_t index,
			       void *marker, wait_queue_entry_t *wait)
{
	if (io_schedule_timeout(SHMEM_MARKER_WAIT_CHECK) ||
	    list_empty_careful(&wait->entry))
		return;
	if (xa_load(&mapping->i_pages, index) == marker)
		return;
	/* The marker is gone, no wake-up came: give the waker its grace */
	set_current_state(TASK_UNINTERRUPTIBLE);
	if (!list_empty_careful(&wait->entry))
		io_schedule_timeout(SHMEM_MARKER_WAKE_GRACE);
	__set_current_state(TASK_RUNNING);
	WARN_ONCE(!list_empty_careful(&wait->entry),
		  "shmem: lost wake-up: the swapin marker at index %lu of mapping %p left without waking its waiter\n",
		  index, mapping);
}
#else
static inline void shmem_marker_sleep(struct address_space *mapping,
				      pgoff_t index, void *marker,
				      wait_queue_entry_t *wait)
{
	io_schedule();
}
#endif

/*
 * Whether @index still holds @marker; if so, *@base is the index the marker
 * is keyed on: the first index of the (possibly multi-index) entry, where its
 * owner and truncation wake.  Entry and order are read in one walk.
 *
 * Under the xarray lock, not RCU: every change of a marker's slot is made
 * under that lock, but not always in one store.  A large owner that gives up
 * splits its marker (shmem_swapin_unclaim()): xas_split() first publishes an
 * order 0 copy of the marker at every index of the entry, and only then are
 * the swap entries stored one by one, before the entry's first index is
 * woken.  A lockless look in between found the marker at @index with order
 * 0, keyed the wait on @index itself, and slept there for ever: nobody wakes
 * @index.  Under the lock only the states before and after are seen.
 */
static bool shmem_marker_lookup(struct address_space *mapping, pgoff_t index,
				void *marker, pgoff_t *base)
{
	XA_STATE(xas, &mapping->i_pages, index);
	bool found;

	xas_lock_irq(&xas);
	found = xas_load(&xas) == marker;
	if (found)
		*base = round_down(index, 1UL << xas_get_order(&xas));
	xas_unlock_irq(&xas);
	return found;
}

/*
 * What a waiter finds at @index once the marker it slept on is gone, for
 * the wait_end trace event: one lockless look, which may already be stale.
 */
static enum shmem_swapin_wait_outcome
shmem_marker_outcome(struct address_space *mapping, pgoff_t index)
{
	void *entry = xa_load(&mapping->i_pages, index);

	if (!entry)
		return SHMEM_SWAPIN_WAIT_GONE;
	if (!xa_is_value(entry))
		return SHMEM_SWAPIN_WAIT_INSTALLED;
	if (shmem_is_swapin_marker(entry))
		return SHMEM_SWAPIN_WAIT_RECLAIMED;
	if (is_poisoned_swp_entry(radix_to_swp_entry(entry)))
		return SHMEM_SWAPIN_WAIT_POISONED;
	return SHMEM_SWAPIN_WAIT_GIVEN_BACK;
}

/**
 * shmem_marker_wait - sleep until a swapin marker leaves a mapping slot
 * @mapping: the shmem mapping
 * @index: the slot where @marker was seen
 * @marker: the marker that was seen there
 *
 * A marker may stand for a multi-index swap entry; whatever index inside it
 * the caller met it at, the wait is keyed on the entry's first index, where
 * the marker's owner and truncation wake its waiters.  The key is looked up
 * again with every recheck: an equal marker that came back in the meantime
 * (its slots freed and reused) may cover another range.
 *
 * Sleeps until the slot no longer holds @marker: its owner installed the
 * folio, put a poisoned entry there, or truncation removed the marker.  The
 * caller must look the slot up again afterwards.  The waiter is queued before
 * it rechecks the slot, and shmem_marker_wake() checks for waiters after the
 * slot changed, with full barriers on both sides, so no wake-up is lost.
 * A wait for a page that refaults from the workingset counts as a memory
 * stall (PSI) and as thrashing delay, as on the swap cache path.  With
 * CONFIG_DEBUG_VM, a wake-up that never comes is reported (WARN).
 *
 * Context: process context; may sleep.  The caller must not hold a marker.
 */
void shmem_marker_wait(struct address_space *mapping, pgoff_t index,
		       void *marker)
{
	struct shmem_marker_waiter waiter = {
		.key.mapping = mapping,
	};
	wait_queue_head_t *wq = NULL;
	unsigned long pflags;
	bool in_thrashing;
	bool thrashing;
	u64 start = 0;
	pgoff_t base;

	if (!shmem_marker_lookup(mapping, index, marker, &base))
		return;
	thrashing = shmem_marker_thrashing(mapping, index, marker);
	shmem_swapin_debug_wait_delay();

	trace_shmem_swapin_wait_begin(mapping, index);
	if (trace_shmem_swapin_wait_end_enabled())
		start = ktime_get_ns();
	init_wait(&waiter.wait);
	waiter.wait.func = shmem_marker_wake_function;
	count_vm_event(SHMEM_SWAPIN_MARKER_WAIT);
	if (thrashing) {
		delayacct_thrashing_start(&in_thrashing);
		psi_memstall_enter(&pflags);
	}

	for (;;) {
		if (!wq || base != waiter.key.index) {
			/* (Re)key: queued on the base's queue before the recheck */
			if (wq)
				finish_wait(wq, &waiter.wait);
			waiter.key.index = base;
			wq = shmem_marker_waitqueue(mapping, base);
		}
		prepare_to_wait(wq, &waiter.wait, TASK_UNINTERRUPTIBLE);
		if (!shmem_marker_lookup(mapping, index, marker, &base))
			break;
		if (base != waiter.key.index)
			continue;
		shmem_marker_sleep(mapping, index, marker, &waiter.wait);
	}
	finish_wait(wq, &waiter.wait);

	if (thrashing) {
		psi_memstall_leave(&pflags);
		delayacct_thrashing_end(&in_thrashing);
	}
	if (trace_shmem_swapin_wait_end_enabled())
		trace_shmem_swapin_wait_end(mapping, index,
					    start ? ktime_get_ns() - start : 0,
					    shmem_marker_outcome(mapping, index));
}

/**
 * shmem_marker_wake - wake the tasks waiting on a slot's swapin marker
 * @mapping: the shmem mapping
 * @index: the slot whose marker was just replaced or removed: the first
 *	index of the marker's entry, if it covers several
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
 * shmem_marker_handoff_locked - truncation is removing a swapin marker
 * @marker: the marker being removed
 *
 * Truncation, hole punch and eviction remove a marker and leave its swap slot
 * to the marker's owner.  Call under the xarray lock, where the marker is
 * removed, so the owner (who finds its marker gone under the same lock) always
 * releases the slot after this: swapoff waits for that release.
 */
void shmem_marker_handoff_locked(void *marker)
{
	swp_entry_t swap = shmem_swapin_marker_entry(marker);

	atomic_inc(&shmem_handoffs_pending[swp_type(swap)]);
}

/**
 * shmem_marker_handoff_wake - a swapin marker was removed by truncation
 * @mapping: the shmem mapping
 * @index: the first index of the entry the marker was removed from
 *
 * After shmem_marker_handoff_locked(), once the xarray lock is dropped:
 * count the handoff and wake the slot's waiters.
 */
void shmem_marker_handoff_wake(struct address_space *mapping, pgoff_t index)
{
	count_vm_event(SHMEM_SWAPIN_HANDOFF);
	shmem_marker_wake(mapping, index);
}

/**
 * shmem_swapin_handoff_done - an owner released a handed-off swap slot
 * @swap: the swap entry its removed marker stood for
 *
 * Call after the slot was freed and its pin dropped.
 */
void shmem_swapin_handoff_done(swp_entry_t swap)
{
	atomic_t *pending = &shmem_handoffs_pending[swp_type(swap)];

	if (atomic_dec_and_test(pending))
		wake_up_var(pending);
}

/**
 * shmem_swapin_wait_handoffs - wait for handed-off slots of a swap device
 * @type: the swap type being swapped off
 *
 * A slot whose marker truncation removed is still held by the marker's owner
 * until its read ends; it is in no mapping, so swapoff cannot find it.  Sleep
 * until every such slot of @type is released, rather than rescan.
 *
 * Context: process context, no locks held; may sleep.
 * Return: 0, or -EINTR if a fatal signal arrived.
 */
int shmem_swapin_wait_handoffs(unsigned int type)
{
	atomic_t *pending = &shmem_handoffs_pending[type];

	if (wait_var_event_killable(pending, !atomic_read(pending)))
		return -EINTR;
	return 0;
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

/**
 * shmem_swapin_batch_enabled - whether sequential swapins take neighbours
 *
 * Return: true if an order 0 bypass swapin that continues a sequential run
 * may swap in its order 0 neighbours in the same batch (the batch knob).
 */
bool shmem_swapin_batch_enabled(void)
{
	return READ_ONCE(shmem_swapin_batch_value);
}

#if SHMEM_SWAPIN_DELAY_KNOB
static unsigned int shmem_swapin_delay_us;
static unsigned int shmem_swapin_claim_delay_us;
static unsigned int shmem_swapin_batch_delay_us;
static unsigned int shmem_swapin_batch_claim_delay_us;
static unsigned int shmem_swapin_split_delay_us;
static unsigned int shmem_swapin_wait_delay_us;

/* Sleep for the microseconds a debug knob holds, if any */
static void shmem_swapin_debug_sleep(const unsigned int *knob)
{
	unsigned int us = READ_ONCE(*knob);

	if (us)
		fsleep(us);
}

/**
 * shmem_swapin_debug_delay - widen the window in which a marker is held
 *
 * Debug kernels only: sleep for debug_delay_us while holding a marker, so that
 * tests and benchmarks can make races overlap.
 */
void shmem_swapin_debug_delay(void)
{
	shmem_swapin_debug_sleep(&shmem_swapin_delay_us);
}

/**
 * shmem_swapin_debug_claim_delay - hold a fresh claim open
 *
 * Debug kernels only: sleep for debug_claim_delay_us right after the claim,
 * before the pin, the charge and the read, so that tests can have tasks
 * waiting on the marker when its owner gives up (pin refused, charge or read
 * failed) and can let a swap-level party reach the slot before the pin.
 */
void shmem_swapin_debug_claim_delay(void)
{
	shmem_swapin_debug_sleep(&shmem_swapin_claim_delay_us);
}

/**
 * shmem_swapin_debug_batch_delay - hold a batch's neighbours claimed
 *
 * Debug kernels only: sleep for debug_batch_delay_us once a batch's
 * neighbours are claimed, pinned and charged, before they are read, so that
 * tests can truncate, punch or swap off under a batch in flight.
 */
void shmem_swapin_debug_batch_delay(void)
{
	shmem_swapin_debug_sleep(&shmem_swapin_batch_delay_us);
}

/**
 * shmem_swapin_debug_batch_claim_delay - hold a batch's fresh claim open
 *
 * Debug kernels only: sleep for debug_batch_claim_delay_us right after a
 * batch has claimed its neighbours, before it pins and charges them, so that
 * tests can have tasks waiting on the neighbours' markers when the batch
 * gives some of them back (pin refused, charge failed), and can let swap
 * readahead reach a neighbour's slot before the pin.
 */
void shmem_swapin_debug_batch_claim_delay(void)
{
	shmem_swapin_debug_sleep(&shmem_swapin_batch_claim_delay_us);
}

/*
 * Debug kernels only: a task that met a marker sleeps for debug_wait_delay_us
 * after its first look, before it queues and looks again, so that tests can
 * have the slot change in between (a large owner's unclaim splitting the
 * marker, held open by debug_split_delay_us).
 */
static void shmem_swapin_debug_wait_delay(void)
{
	shmem_swapin_debug_sleep(&shmem_swapin_wait_delay_us);
}

/**
 * shmem_swapin_debug_split_delay - hold a large unclaim's split open
 *
 * Debug kernels only: spin for debug_split_delay_us between the split of a
 * large marker that gives up and the stores of its order 0 swap entries,
 * under the xarray lock, so that tests can have readers look at the slots
 * while the split is half done (what a lockless look would see there is an
 * order 0 copy of the marker).  Busy-waits: the caller holds a spinlock.
 */
void shmem_swapin_debug_split_delay(void)
{
	unsigned int us = READ_ONCE(shmem_swapin_split_delay_us);

	if (us) {
		mdelay(us / USEC_PER_MSEC);
		udelay(us % USEC_PER_MSEC);
	}
}
#else
void shmem_swapin_debug_delay(void)
{
}

void shmem_swapin_debug_claim_delay(void)
{
}

void shmem_swapin_debug_batch_delay(void)
{
}

void shmem_swapin_debug_batch_claim_delay(void)
{
}

void shmem_swapin_debug_split_delay(void)
{
}

static void shmem_swapin_debug_wait_delay(void)
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

static ssize_t batch_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(shmem_swapin_batch_value));
}

static ssize_t batch_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	bool on;
	int err = kstrtobool(buf, &on);

	if (err)
		return err;
	WRITE_ONCE(shmem_swapin_batch_value, on);
	return count;
}

static struct kobj_attribute batch_attr = __ATTR_RW(batch);

#if SHMEM_SWAPIN_DELAY_KNOB
static ssize_t shmem_swapin_delay_store(unsigned int *knob, const char *buf,
					size_t count, unsigned int max)
{
	unsigned int us;
	int err = kstrtouint(buf, 0, &us);

	if (err)
		return err;
	if (us > max)
		return -EINVAL;
	WRITE_ONCE(*knob, us);
	return count;
}

/* The sysfs knob @name over @knob, in microseconds, at most @max */
#define SHMEM_SWAPIN_DELAY_ATTR(name, knob, max)			\
static unsigned int *const name##_knob = &(knob);			\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n", READ_ONCE(*name##_knob));	\
}									\
static ssize_t name##_store(struct kobject *kobj,			\
			    struct kobj_attribute *attr,		\
			    const char *buf, size_t count)		\
{									\
	return shmem_swapin_delay_store(name##_knob, buf, count, (max));	\
}									\
static struct kobj_attribute name##_attr = __ATTR_RW(name)

SHMEM_SWAPIN_DELAY_ATTR(debug_delay_us, shmem_swapin_delay_us, USEC_PER_SEC);
SHMEM_SWAPIN_DELAY_ATTR(debug_claim_delay_us, shmem_swapin_claim_delay_us,
			USEC_PER_SEC);
SHMEM_SWAPIN_DELAY_ATTR(debug_batch_delay_us, shmem_swapin_batch_delay_us,
			USEC_PER_SEC);
SHMEM_SWAPIN_DELAY_ATTR(debug_batch_claim_delay_us,
			shmem_swapin_batch_claim_delay_us, USEC_PER_SEC);
/* a busy wait with interrupts off: at most 100 ms */
SHMEM_SWAPIN_DELAY_ATTR(debug_split_delay_us, shmem_swapin_split_delay_us,
			100 * USEC_PER_MSEC);
SHMEM_SWAPIN_DELAY_ATTR(debug_wait_delay_us, shmem_swapin_wait_delay_us,
			USEC_PER_SEC);
#endif

static struct attribute *shmem_swapin_attrs[] = {
	&mode_attr.attr,
	&batch_attr.attr,
#if SHMEM_SWAPIN_DELAY_KNOB
	&debug_delay_us_attr.attr,
	&debug_claim_delay_us_attr.attr,
	&debug_batch_delay_us_attr.attr,
	&debug_batch_claim_delay_us_attr.attr,
	&debug_split_delay_us_attr.attr,
	&debug_wait_delay_us_attr.attr,
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
