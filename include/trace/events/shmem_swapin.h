/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of the cache-bypass swapin of shmem (mm/shmem/swapin.c,
 * mm/shmem.c): the life of a swapin marker.  An owner claims a swap entry
 * (shmem_swapin_claim) and either installs its folio over the marker
 * (shmem_swapin_install) or gives the entry back and falls back
 * (shmem_swapin_fallback, which also reports the give-ups decided before a
 * claim); truncation, hole punch or eviction may remove the marker
 * meanwhile (shmem_swapin_handoff).  Tasks that meet a marker sleep between
 * shmem_swapin_wait_begin and shmem_swapin_wait_end.  A sequential swapin
 * that takes its neighbours reports them in shmem_swapin_batch.
 *
 * Every event names the file (dev, ino) and the index; for a large entry
 * the index is the entry's first.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM shmem_swapin

#if !defined(_TRACE_SHMEM_SWAPIN_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_SHMEM_SWAPIN_H

#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/swapops.h>
#include <linux/tracepoint.h>

#ifndef __SHMEM_SWAPIN_TRACE_ENUMS_ONCE_ONLY
#define __SHMEM_SWAPIN_TRACE_ENUMS_ONCE_ONLY
/*
 * Why a swapin that could bypass the swap cache did not, or gave up its
 * claim; the swap cache path (order 0) or the split and order 0 path (large)
 * takes over, except where said otherwise.
 */
enum shmem_swapin_fallback_reason {
	SHMEM_SWAPIN_FB_CACHED,		/* order 0: the slot has another user */
	SHMEM_SWAPIN_FB_NOT_WHOLE,	/* large: a slot cached or pinned, ... */
	SHMEM_SWAPIN_FB_ZSWAP,		/* large: zswap enabled in this boot */
	SHMEM_SWAPIN_FB_UFFD,		/* large: userfaultfd armed on the vma */
	SHMEM_SWAPIN_FB_MARKER_RANGE,	/* the offset does not fit a marker */
	SHMEM_SWAPIN_FB_NO_FOLIO,	/* order 0: -ENOMEM, nothing claimed */
	SHMEM_SWAPIN_FB_PIN_REFUSED,	/* a swap-level reader took the slot */
	SHMEM_SWAPIN_FB_CHARGE,		/* memcg charge (order 0: -ENOMEM) */
	SHMEM_SWAPIN_FB_READ_ERROR,	/* order 0: poisoned, -EIO */
	SHMEM_SWAPIN_FB_INSTALL,	/* no xarray memory for the install */
};

/* What the slot held when a waiter found the marker gone */
enum shmem_swapin_wait_outcome {
	SHMEM_SWAPIN_WAIT_INSTALLED,	/* a folio */
	SHMEM_SWAPIN_WAIT_GIVEN_BACK,	/* the swap entry, given back */
	SHMEM_SWAPIN_WAIT_GONE,		/* nothing: truncated or punched */
	SHMEM_SWAPIN_WAIT_POISONED,	/* the owner's read failed */
	SHMEM_SWAPIN_WAIT_RECLAIMED,	/* another owner's marker */
};

/* Who removed a marker from under its owner */
enum shmem_swapin_handoff_by {
	SHMEM_SWAPIN_BY_TRUNCATE,
	SHMEM_SWAPIN_BY_PUNCH,
	SHMEM_SWAPIN_BY_EVICT,
};
#endif /* __SHMEM_SWAPIN_TRACE_ENUMS_ONCE_ONLY */

TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_CACHED);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_NOT_WHOLE);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_ZSWAP);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_UFFD);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_MARKER_RANGE);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_NO_FOLIO);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_PIN_REFUSED);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_CHARGE);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_READ_ERROR);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_FB_INSTALL);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_WAIT_INSTALLED);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_WAIT_GIVEN_BACK);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_WAIT_GONE);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_WAIT_POISONED);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_WAIT_RECLAIMED);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_BY_TRUNCATE);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_BY_PUNCH);
TRACE_DEFINE_ENUM(SHMEM_SWAPIN_BY_EVICT);

/*
 * An owner replaced the swap entry at @index by its marker
 */
TRACE_EVENT(shmem_swapin_claim,
	    TP_PROTO(struct address_space *mapping, pgoff_t index, int order,
		     swp_entry_t swap),
	    TP_ARGS(mapping, index, order, swap),
	    TP_STRUCT__entry(__field(dev_t, s_dev)
			     __field(unsigned long, i_ino)
			     __field(pgoff_t, index)
			     __field(int, order)
			     __field(unsigned int, type)
			     __field(unsigned long, offset)),
	    TP_fast_assign(__entry->s_dev = mapping->host->i_sb->s_dev;
			   __entry->i_ino = mapping->host->i_ino;
			   __entry->index = index;
			   __entry->order = order;
			   __entry->type = swp_type(swap);
			   __entry->offset = swp_offset(swap);),
	    TP_printk("dev=%d:%d ino=%lu index=%lu order=%d swap=%u:%lu",
		      MAJOR(__entry->s_dev), MINOR(__entry->s_dev), __entry->i_ino,
		      __entry->index, __entry->order, __entry->type, __entry->offset)
);

/*
 * A task met a marker at @index and is going to sleep on it
 */
TRACE_EVENT(shmem_swapin_wait_begin,
	    TP_PROTO(struct address_space *mapping, pgoff_t index),
	    TP_ARGS(mapping, index),
	    TP_STRUCT__entry(__field(dev_t, s_dev)
			     __field(unsigned long, i_ino)
			     __field(pgoff_t, index)),
	    TP_fast_assign(__entry->s_dev = mapping->host->i_sb->s_dev;
			   __entry->i_ino = mapping->host->i_ino;
			   __entry->index = index;),
	    TP_printk("dev=%d:%d ino=%lu index=%lu",
		      MAJOR(__entry->s_dev), MINOR(__entry->s_dev), __entry->i_ino,
		      __entry->index)
);

/*
 * The marker a task slept on is gone, @waited_ns after wait_begin (0 if the
 * event was enabled during the wait); @outcome: what the slot holds now
 */
TRACE_EVENT(shmem_swapin_wait_end,
	    TP_PROTO(struct address_space *mapping, pgoff_t index, u64 waited_ns,
		     enum shmem_swapin_wait_outcome outcome),
	    TP_ARGS(mapping, index, waited_ns, outcome),
	    TP_STRUCT__entry(__field(dev_t, s_dev)
			     __field(unsigned long, i_ino)
			     __field(pgoff_t, index)
			     __field(u64, waited_ns)
			     __field(int, outcome)),
	    TP_fast_assign(__entry->s_dev = mapping->host->i_sb->s_dev;
			   __entry->i_ino = mapping->host->i_ino;
			   __entry->index = index;
			   __entry->waited_ns = waited_ns;
			   __entry->outcome = outcome;),
	    TP_printk("dev=%d:%d ino=%lu index=%lu waited_ns=%llu outcome=%s",
		      MAJOR(__entry->s_dev), MINOR(__entry->s_dev), __entry->i_ino,
		      __entry->index, __entry->waited_ns,
		      __print_symbolic(__entry->outcome,
				       { SHMEM_SWAPIN_WAIT_INSTALLED, "installed" },
				       { SHMEM_SWAPIN_WAIT_GIVEN_BACK, "given_back" },
				       { SHMEM_SWAPIN_WAIT_GONE, "gone" },
				       { SHMEM_SWAPIN_WAIT_POISONED, "poisoned" },
				       { SHMEM_SWAPIN_WAIT_RECLAIMED, "reclaimed" }))
);

/*
 * An owner installed its folio of @order over its marker at @index
 */
TRACE_EVENT(shmem_swapin_install,
	    TP_PROTO(struct address_space *mapping, pgoff_t index, int order),
	    TP_ARGS(mapping, index, order),
	    TP_STRUCT__entry(__field(dev_t, s_dev)
			     __field(unsigned long, i_ino)
			     __field(pgoff_t, index)
			     __field(int, order)
			     __field(unsigned int, nr)),
	    TP_fast_assign(__entry->s_dev = mapping->host->i_sb->s_dev;
			   __entry->i_ino = mapping->host->i_ino;
			   __entry->index = index;
			   __entry->order = order;
			   __entry->nr = 1U << order;),
	    TP_printk("dev=%d:%d ino=%lu index=%lu order=%d nr=%u",
		      MAJOR(__entry->s_dev), MINOR(__entry->s_dev), __entry->i_ino,
		      __entry->index, __entry->order, __entry->nr)
);

/*
 * Truncation, hole punch or eviction removed the marker at @index
 */
TRACE_EVENT(shmem_swapin_handoff,
	    TP_PROTO(struct address_space *mapping, pgoff_t index, int order,
		     enum shmem_swapin_handoff_by by),
	    TP_ARGS(mapping, index, order, by),
	    TP_STRUCT__entry(__field(dev_t, s_dev)
			     __field(unsigned long, i_ino)
			     __field(pgoff_t, index)
			     __field(int, order)
			     __field(int, by)),
	    TP_fast_assign(__entry->s_dev = mapping->host->i_sb->s_dev;
			   __entry->i_ino = mapping->host->i_ino;
			   __entry->index = index;
			   __entry->order = order;
			   __entry->by = by;),
	    TP_printk("dev=%d:%d ino=%lu index=%lu order=%d by=%s",
		      MAJOR(__entry->s_dev), MINOR(__entry->s_dev), __entry->i_ino,
		      __entry->index, __entry->order,
		      __print_symbolic(__entry->by,
				       { SHMEM_SWAPIN_BY_TRUNCATE, "truncate" },
				       { SHMEM_SWAPIN_BY_PUNCH, "punch" },
				       { SHMEM_SWAPIN_BY_EVICT, "evict" }))
);

/*
 * The swapin of the entry of @order at @index did not bypass, or gave up
 */
TRACE_EVENT(shmem_swapin_fallback,
	    TP_PROTO(struct address_space *mapping, pgoff_t index, int order,
		     enum shmem_swapin_fallback_reason reason),
	    TP_ARGS(mapping, index, order, reason),
	    TP_STRUCT__entry(__field(dev_t, s_dev)
			     __field(unsigned long, i_ino)
			     __field(pgoff_t, index)
			     __field(int, order)
			     __field(int, reason)),
	    TP_fast_assign(__entry->s_dev = mapping->host->i_sb->s_dev;
			   __entry->i_ino = mapping->host->i_ino;
			   __entry->index = index;
			   __entry->order = order;
			   __entry->reason = reason;),
	    TP_printk("dev=%d:%d ino=%lu index=%lu order=%d reason=%s",
		      MAJOR(__entry->s_dev), MINOR(__entry->s_dev), __entry->i_ino,
		      __entry->index, __entry->order,
		      __print_symbolic(__entry->reason,
				       { SHMEM_SWAPIN_FB_CACHED, "cached" },
				       { SHMEM_SWAPIN_FB_NOT_WHOLE, "not_whole" },
				       { SHMEM_SWAPIN_FB_ZSWAP, "zswap" },
				       { SHMEM_SWAPIN_FB_UFFD, "uffd" },
				       { SHMEM_SWAPIN_FB_MARKER_RANGE, "marker_range" },
				       { SHMEM_SWAPIN_FB_NO_FOLIO, "no_folio" },
				       { SHMEM_SWAPIN_FB_PIN_REFUSED, "pin_refused" },
				       { SHMEM_SWAPIN_FB_CHARGE, "charge" },
				       { SHMEM_SWAPIN_FB_READ_ERROR, "read_error" },
				       { SHMEM_SWAPIN_FB_INSTALL, "install" }))
);

/*
 * The swapin at @index took a batch: of @nr candidate neighbours after it,
 * @claimed were claimed and @installed installed (the others were given back
 * or handed off)
 */
TRACE_EVENT(shmem_swapin_batch,
	    TP_PROTO(struct address_space *mapping, pgoff_t index, int nr,
		     int claimed, int installed),
	    TP_ARGS(mapping, index, nr, claimed, installed),
	    TP_STRUCT__entry(__field(dev_t, s_dev)
			     __field(unsigned long, i_ino)
			     __field(pgoff_t, index)
			     __field(int, nr)
			     __field(int, claimed)
			     __field(int, installed)),
	    TP_fast_assign(__entry->s_dev = mapping->host->i_sb->s_dev;
			   __entry->i_ino = mapping->host->i_ino;
			   __entry->index = index;
			   __entry->nr = nr;
			   __entry->claimed = claimed;
			   __entry->installed = installed;),
	    TP_printk("dev=%d:%d ino=%lu index=%lu nr=%d claimed=%d installed=%d",
		      MAJOR(__entry->s_dev), MINOR(__entry->s_dev), __entry->i_ino,
		      __entry->index, __entry->nr, __entry->claimed,
		      __entry->installed)
);

#endif /* _TRACE_SHMEM_SWAPIN_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
