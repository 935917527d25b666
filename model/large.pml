/*
 * large.pml - Promela model of the marker protocol for a LARGE swap entry:
 * one marker standing for a multi-index swap entry of nr = 2 indices
 * (docs/model.md, "The large configuration").  The order-0 protocol of
 * marker.pml is kept, per index, for the fallback after a split.
 *
 * Two indices b = 0 and b+1 = 1 of one shmem mapping.  At the start they
 * hold one multi-index swap entry of order 1 whose value names the base
 * slot E0 = 1; slot E0 + j holds the data of index b + j (version 1 for
 * index 0, version 2 for index 1, so a slot read for the wrong index shows).
 *
 *   faulter(0, 0)  a fault at b:   shmem_get_folio_gfp() -> shmem_swapin_folio()
 *   faulter(1, 1)  a fault at b+1
 *   punch()        one of (chosen nondeterministically, or fixed with -DPUNCH=n):
 *                    WHOLE   hole punch of [b, b+2): removes the large entry
 *                            whole (handoff of a large marker)
 *                    PUNCH0  hole punch of [b, b+1) only: partial
 *                    TRUNC1  truncate to size b+1 (page aligned): across the
 *                            entry; i_size drops first
 *                    PUNCH1  hole punch of [b+1, b+2) only
 *                  following shmem_undo_range(): first pass
 *                  (find_lock_entries + shmem_free_swap), partial folio
 *                  (shmem_get_partial_folio + truncate_inode_partial_folio),
 *                  second pass (find_get_entries, with truncation's restart).
 *   party()        a swap-level party (zswap writeback, readahead) that pins
 *                  one ORDER-0 slot inside the range (slot 1 or 2).
 *
 * Properties (each enabled by its own macro, as in marker.pml):
 *   CHECK_P1  every slot's count and pin dropped exactly once; none left;
 *             info->swapped balances
 *   CHECK_P2  no install after marker loss; every index ends with its
 *             logical data (a punched index reads zeros, the other keeps
 *             its data); no slot read for the wrong index
 *   CHECK_P3  at most one reader of each slot at a time
 *   CHECK_P4  (LTL) every queued waiter leaves the queue; everybody ends
 *   (P5)      no invalid end state
 *   CHECK_P7  finding: truncation never polls on a large marker
 *   CHECK_P6B no shmem task polls on a bypass owner's pin, unless the
 *             swap-level party held that slot (marker.pml's P6B)
 *
 * Broken variants: WAIT_OWN_INDEX, WAKE_OWN_INDEX, PART_REMOVES, FREE_ONE.
 * Fixes of the P7 finding: TRUNC_FIX (the first: read the entry in at its
 * base), TRUNC_SPLIT (patch 0001 and 0007 now: split a crossing swap entry,
 * wait on a crossing marker).  NO_F0: no fault at b (then truncation across a
 * large swap entry never ends, unless fixed).  UNCLAIM_SPLIT: a large owner
 * that gives up stores order-0 entries.  CHARGE_AFTER_PIN:
 * the charge comes after the pin, as patch 0006 has it (P6B finding);
 * CLEAR_FIRST: its failure path drops the pins before the unclaim.  WITNESS=n.
 */

#define NI 2			/* indices b = 0 and b+1 = 1 */
#define E0 1			/* base slot of the large entry */
#define NS 2			/* slots 1..NS */
#define NONE 255

#define F0 0			/* faulter at b */
#define F1 1			/* faulter at b+1 */
#define PUNCHER 2		/* the punch, when it swaps in (partial folio) */
#define NW 3			/* parties that can own or wait */

/* what mapping[j] holds; `large' says whether [0, 1] is one entry */
#define EMPTY  0
#define SWP    1		/* swap entry, mv = slot (E0 for the large one) */
#define MARK   2		/* marker, mv = the slot it names */
#define FOLIO  3		/* folio page, mv = its data version */

/* punch kinds */
#define WHOLE  1
#define PUNCH0 2
#define TRUNC1 3
#define PUNCH1 4

/* results */
#define AGAIN    0
#define DONE     1
#define FALLBACK 2
#define OK     0
#define EEXIST 1
#define FAIL   3
#define NOCHARGE 4		/* the charge after the pin failed */

#ifdef CHECK_P1
#define P1(c) assert(c)
#else
#define P1(c) skip
#endif
#ifdef CHECK_P2
#define P2(c) assert(c)
#else
#define P2(c) skip
#endif
#ifdef CHECK_P3
#define P3(c) assert(c)
#else
#define P3(c) skip
#endif
#ifdef CHECK_P7
#define P7(c) assert(c)
#else
#define P7(c) skip
#endif
#ifdef CHECK_P6B
#define P6B(c) assert(c)
#else
#define P6B(c) skip
#endif
/* the ghosts of P6B are kept only where they are read, so that they do not
 * add states to the other searches */
#if defined(CHECK_P6B) || defined(WITNESS)
#define G6(x) x
#else
#define G6(x) skip
#endif
#ifdef WITNESS
#define W(n, c) assert(WITNESS != n || !(c))
#else
#define W(n, c) skip
#endif

/* ---- the mapping: mapping[0], mapping[1]; xa_lock'ed steps are atomic ---- */
byte mk[NI];			/* kind */
byte mv[NI];			/* value: slot, or data version of a folio page */
byte mo[NI];			/* ghost: whose marker */
bit large;			/* [0, 1] is one multi-index entry / one folio */
byte logical[NI];		/* ghost: the data index j must read */
byte swapped;			/* info->swapped */
byte isz = 2;			/* i_size in pages */
bit splitfail;			/* ghost: a folio split failed once already */

/* ---- swap_map[] ---- */
byte sm_cnt[NS + 1];
bit sm_hc[NS + 1];
bit sm_used[NS + 1];
byte sm_data[NS + 1];
byte cached[NS + 1];		/* swap cache folio (data version) */
byte readers[NS + 1];		/* ghost */
bit owner_pin[NS + 1];		/* ghost: HAS_CACHE is a bypass owner's pin */
bit party_pin[NS + 1];		/* ghost: the party pinned the slot once */

/* ---- per owner/waiter ---- */
bit lost[NW];			/* ghost: this party's marker was removed */
bit inq[NW];			/* on a marker wait queue */
byte qk[NW];			/* ... keyed (mapping, qk) */
byte finished;

/* ---------------------------------------------------------------- */
/* swap_map helpers (cluster lock held: inside atomic steps) */

inline slot_maybe_free(s)
{
	if
	:: sm_cnt[s] == 0 && !sm_hc[s] -> sm_used[s] = 0; sm_data[s] = 0
	:: else -> skip
	fi
}

inline swap_put(s)
{
	P1(sm_used[s] && sm_cnt[s] > 0);
	if
	:: sm_used[s] && sm_cnt[s] > 0 -> sm_cnt[s]--; slot_maybe_free(s)
	:: else -> skip
	fi
}

inline hc_put(s)
{
	P1(sm_used[s] && sm_hc[s]);
	if
	:: sm_used[s] && sm_hc[s] -> sm_hc[s] = 0; slot_maybe_free(s)
	:: else -> skip
	fi
}

/* one slot of free_swap_and_cache_nr() */
inline free_swap_and_cache(s)
{
	swap_put(s);
	if
	:: sm_used[s] && sm_cnt[s] == 0 && cached[s] != 0 -> cached[s] = 0; hc_put(s)
	:: else -> skip
	fi
}

inline swapped_sub(n)
{
	P1(swapped >= n);
	if
	:: swapped >= n -> swapped = swapped - n
	:: else -> swapped = 0
	fi
}

/* shmem_marker_wake(mapping, key): keyed wake-up, autoremove */
inline wake(key)
{
	d_step {
		w = 0;
		do
		:: w < NW -> if :: qk[w] == key -> inq[w] = 0 :: else -> skip fi; w++
		:: else -> break
		od;
		w = 0
	}
}

/* shmem_marker_wait(mapping, index i, marker): key is the base index of
 * the entry the marker was found as (its order), enqueue, recheck the
 * entry at i against the marker, sleep until woken */
inline marker_wait(me, i, mval, key)
{
	do
	:: atomic { qk[me] = key; inq[me] = 1 };	/* prepare_to_wait() */
		if
		:: (mk[i] == MARK && mv[i] == mval) ->	/* xa_load(i) == marker */
			(inq[me] == 0)
		:: else -> break
		fi
	od;
	atomic { inq[me] = 0; qk[me] = 0 }		/* finish_wait() */
}

/* ---------------------------------------------------------------- */
/* order 0, as in marker.pml, at index i with slot s */

inline install_cached(i, s, c)
{
	atomic {
		if
		:: cached[s] == c && mk[i] == SWP && mv[i] == s && !large ->
			P2(c == logical[i]);
			W(9, true);
			mk[i] = FOLIO; mv[i] = c;
			swapped_sub(1);
			cached[s] = 0;
			hc_put(s);
			swap_put(s);
			res = DONE
		:: else -> res = AGAIN
		fi
	}
}

inline read_swap_cache_async(i, s)
{
	do
	:: atomic {
		if
		:: cached[s] != 0 -> ver = cached[s]; break
		:: cached[s] == 0 && sm_hc[s] && sm_cnt[s] > 0 ->
			/* polls; P6B: not on a bypass owner's pin, unless
			 * the party held the slot (marker.pml's finding 2) */
			P6B(!owner_pin[s] || party_pin[s])
		:: else -> ver = 0; break
		fi
	   };
	   !(cached[s] == 0 && sm_hc[s] && sm_cnt[s] > 0)	/* polls */
	od;
	if
	:: ver != 0 -> install_cached(i, s, ver)
	:: else -> res = AGAIN
	fi
}

/* shmem_swapin_bypass(order 0) after the split, index i, slot s */
inline swapin_bypass0(me, i, s)
{
	atomic {			/* claim: order-0 E -> marker(E) */
		if
		:: mk[i] == SWP && mv[i] == s && !large ->
			mk[i] = MARK; mo[i] = me; r = OK
		:: else -> r = FAIL
		fi
	};
	if
	:: r == FAIL -> res = AGAIN
	:: r == OK ->
		atomic {		/* pin: swapcache_prepare(E, 1) */
			P1(sm_used[s] && sm_cnt[s] > 0);
			if
			:: sm_hc[s] -> r = EEXIST
			:: else -> sm_hc[s] = 1; G6(owner_pin[s] = 1); r = OK
			fi
		};
		if
		:: r == EEXIST ->
			atomic {	/* unclaim */
				if
				:: mk[i] == MARK && mv[i] == s && !large ->
					mk[i] = SWP; mo[i] = NONE; r = OK
				:: else -> r = FAIL
				fi
			};
			wake(i);
			if
			:: r == OK -> W(10, true); read_swap_cache_async(i, s)
			:: else ->
				atomic { free_swap_and_cache(s) };
				lost[me] = 0; res = AGAIN
			fi
		:: else ->
			atomic { readers[s]++; P3(readers[s] <= 1); ver = sm_data[s] };
			atomic { readers[s]-- };
			atomic {	/* install over our own order-0 marker */
				if
				:: mk[i] == MARK && mv[i] == s && !large ->
					P2(!lost[me]);
					P2(ver == logical[i]);
					W(11, true);
					mk[i] = FOLIO; mv[i] = ver; mo[i] = NONE;
					swapped_sub(1);
					r = OK
				:: else -> r = FAIL
				fi
			};
			if
			:: r == OK -> wake(i)
			:: else -> skip
			fi;
			atomic { swap_put(s) };
			atomic { G6(owner_pin[s] = 0); hc_put(s) };
			lost[me] = 0;
			if
			:: r == OK -> res = DONE
			:: else -> res = AGAIN
			fi
		fi
	fi
}

/*
 * UNCLAIM_SPLIT (patch 0007 as it is now): a large owner that gives up stores
 * the order-0 entries E0, E0+1 in place of its marker under the same lock, or,
 * when the xarray nodes for the split cannot be had, E0 of order 1 as before.
 * Without it, always E0 of order 1 (the first version).
 */
#ifdef UNCLAIM_SPLIT
#define UNCLAIM_AS_ORDER0	if :: large = 0; mv[1] = E0 + 1 :: skip fi
#else
#define UNCLAIM_AS_ORDER0	skip
#endif

/* shmem_split_large_entry(inode, i, E0): under the xa lock, split the
 * large entry if mapping[i] is still E0; order 0 E0 (index 0 after a
 * split) is no error; anything else -EEXIST.  xas_split_alloc() runs before,
 * unlocked; its failure changes nothing and is not modelled. */
inline split_entry(i)
{
	atomic {
		if
		:: mk[0] == SWP && mv[0] == E0 && large ->
			W(12, true);
			large = 0;
			mv[1] = E0 + 1;
			r = OK
		:: !large && mk[i] == SWP && mv[i] == E0 -> r = OK
		:: else -> r = FAIL
		fi
	}
}

/* ---------------------------------------------------------------- */
/* the large path: shmem_swapin_bypass() with order 1 at index i */

inline swapin_bypass_large(me, i)
{
	/* Decide, before anything shared changes: no swap cache folio and
	 * no pin on any of the nr slots, every count the shmem count
	 * (non_swapcache_batch() and the counts: unlocked reads); the
	 * large folio's allocation and charge may fail. */
	atomic {
		r = (cached[E0] == 0 && cached[E0 + 1] == 0 &&
		     !sm_hc[E0] && !sm_hc[E0 + 1] &&
		     sm_cnt[E0] == 1 && sm_cnt[E0 + 1] == 1)
	};
	if
	:: r -> skip
	:: r -> r = 0		/* allocation or charge failed */
	:: !r -> skip
	fi;
	if
	:: !r -> res = FALLBACK
	:: r ->
		/* Claim: the whole order-1 E0 -> marker(E0) of order 1 */
		atomic {
			if
			:: mk[0] == SWP && mv[0] == E0 && large ->
				mk[0] = MARK; mk[1] = MARK;
				mo[0] = me; mo[1] = me;
				W(1, i == 1);		/* owner faulted at b+1 */
				W(17, me == PUNCHER);	/* a partial punch swaps in whole */
				r = OK
			:: else -> r = FAIL
			fi
		};
		if
		:: r == FAIL -> res = AGAIN
		:: r == OK ->
			/* Pin: swapcache_prepare(E0, 2), all or nothing */
			atomic {
				P1(sm_used[E0] && sm_cnt[E0] > 0 &&
				   sm_used[E0 + 1] && sm_cnt[E0 + 1] > 0);
				if
				:: sm_hc[E0] || sm_hc[E0 + 1] -> r = EEXIST
				:: else ->
					sm_hc[E0] = 1; sm_hc[E0 + 1] = 1;
					G6(owner_pin[E0] = 1); G6(owner_pin[E0 + 1] = 1);
					r = OK
				fi
			};
#ifdef CHARGE_AFTER_PIN
			/* patch 0006 as written: the memcg charge (and the
			 * zswap check) come after the pin and may fail */
			if
			:: r == OK ->
				/* at most once per task: a memcg that keeps
				 * failing ends in -ENOMEM and the OOM killer,
				 * not in a retry loop worth checking for P4 */
				if :: skip :: !cfail -> r = NOCHARGE; cfail = 1 fi
			:: else -> skip
			fi;
#endif
			if
			:: r == NOCHARGE ->
				/* out_unclaim: give E0 back, then drop the pins
				 * (CLEAR_FIRST: the pins first) */
#ifdef CLEAR_FIRST
				atomic {
					G6(owner_pin[E0] = 0); G6(owner_pin[E0 + 1] = 0);
					hc_put(E0); hc_put(E0 + 1)
				};
#endif
				atomic {
					if
					:: mk[0] == MARK && mv[0] == E0 && large ->
						mk[0] = SWP; mk[1] = SWP;
						mo[0] = NONE; mo[1] = NONE;
						UNCLAIM_AS_ORDER0;
						r = OK
					:: else -> r = FAIL
					fi
				};
				wake(0);
				if
				:: r == OK ->
#ifndef CLEAR_FIRST
					atomic {
						G6(owner_pin[E0] = 0); G6(owner_pin[E0 + 1] = 0);
						hc_put(E0); hc_put(E0 + 1)
					};
#endif
					res = FALLBACK
				:: else ->
					/* out_free: drop the references, then the pins */
#ifndef CLEAR_FIRST
					atomic { swap_put(E0); swap_put(E0 + 1) };
					atomic {
						G6(owner_pin[E0] = 0); G6(owner_pin[E0 + 1] = 0);
						hc_put(E0); hc_put(E0 + 1)
					};
#else
					atomic { free_swap_and_cache(E0); free_swap_and_cache(E0 + 1) };
#endif
					lost[me] = 0;
					res = AGAIN
				fi
			:: r == EEXIST ->
				/* Unclaim: marker(E0) of order 1 -> E0 of order 1 */
				atomic {
					if
					:: mk[0] == MARK && mv[0] == E0 && large ->
						W(4, inq[0] || inq[1] || inq[2]);
						mk[0] = SWP; mk[1] = SWP;
						mo[0] = NONE; mo[1] = NONE;
						UNCLAIM_AS_ORDER0;
						r = OK
					:: else -> r = FAIL
					fi
				};
				wake(0);
				if
				:: r == OK -> W(5, true); res = FALLBACK
				:: else ->
					/* a whole punch removed it: free_swap_and_cache_nr(E0, 2) */
					W(6, true);
					atomic { free_swap_and_cache(E0); free_swap_and_cache(E0 + 1) };
					lost[me] = 0;
					res = AGAIN
				fi
			:: else ->
				/* Read all nr slots into the private large folio */
				atomic {
					readers[E0]++; readers[E0 + 1]++;
					P3(readers[E0] <= 1 && readers[E0 + 1] <= 1);
					ver = sm_data[E0]; ver2 = sm_data[E0 + 1]
				};
				atomic { readers[E0]--; readers[E0 + 1]-- };
				/* Install: shmem_add_to_page_cache(folio, b, expected
				 * marker): the first conflict in [b, b+1] is the marker,
				 * and there is no other */
				atomic {
					if
					:: mk[0] == MARK && mv[0] == E0 &&
					   (large || mk[1] == EMPTY) ->
						P2(!lost[me]);
						P2(ver == logical[0] && ver2 == logical[1]);
						W(2, true);
						mk[0] = FOLIO; mk[1] = FOLIO;
						mv[0] = ver; mv[1] = ver2;
						mo[0] = NONE; mo[1] = NONE;
						large = 1;
						swapped_sub(2);
						r = OK
					:: else -> W(3, true); r = FAIL	/* handoff */
					fi
				};
				if
#ifndef WAKE_OWN_INDEX
				:: r == OK -> wake(0)		/* key: the base index */
#else
				:: r == OK -> wake(i)		/* broken */
#endif
				:: else -> skip
				fi;
				/* Release: swap_free_nr(E0, 2), swapcache_clear(E0, 2) */
#ifndef FREE_ONE
				atomic { swap_put(E0); swap_put(E0 + 1) };
				atomic {
					G6(owner_pin[E0] = 0); G6(owner_pin[E0 + 1] = 0);
					hc_put(E0); hc_put(E0 + 1)
				};
#else
				atomic { swap_put(E0) };	/* broken: as if nr = 1 */
				atomic { G6(owner_pin[E0] = 0); hc_put(E0) };
#endif
				lost[me] = 0;
				if
				:: r == OK -> res = DONE
				:: else -> res = AGAIN
				fi
			fi
		fi
	fi
}

/* one pass of shmem_get_folio_gfp() -> shmem_swapin_folio() at index i */
inline swapin_step(me, i)
{
	/* i_size check, filemap_get_entry() with its order, and
	 * swap_cache_get_folio() on the entry's value */
	atomic {
		if
		:: i >= isz -> k = EMPTY		/* -EINVAL */
		:: else ->
			k = mk[i]; v = mv[i]; lg = large;
			if
			:: k == SWP -> ver = cached[v]
			:: else -> skip
			fi
		fi
	};
	if
	:: k == EMPTY || k == FOLIO -> res = DONE
	:: k == MARK ->
		/* the wait key: the base index for a large marker */
#ifndef WAIT_OWN_INDEX
		if
		:: lg -> key = 0
		:: else -> key = i
		fi;
#else
		key = i;		/* broken: keyed on its own index */
#endif
		W(7, lg && me == F1 && mo[i] == F0);	/* waiter at b+1, owner at b */
		W(16, lg && me == F0 && mo[i] == F1);	/* waiter at b, owner at b+1 */
		W(18, lg && me == PUNCHER);		/* a partial punch waits */
		marker_wait(me, i, v, key);
		res = AGAIN
	:: k == SWP && lg && ver != 0 ->
		/* a swap cache folio (order 0) for E0: order > folio order:
		 * split, then the swap cache path; at b+1 folio->swap != E0+1 */
		split_entry(i);
		if
		:: r == OK && i == 0 -> install_cached(0, E0, ver)
		:: else -> res = AGAIN
		fi
	:: k == SWP && lg && ver == 0 ->
		swapin_bypass_large(me, i);
		if
		:: res == FALLBACK ->
			/* split, then the order-0 path at i */
			split_entry(i);
			if
			:: r == OK -> swapin_bypass0(me, i, E0 + i)
			:: else -> res = AGAIN
			fi
		:: else -> skip
		fi
	:: k == SWP && !lg && ver != 0 -> install_cached(i, v, ver)
	:: k == SWP && !lg && ver == 0 -> swapin_bypass0(me, i, v)
	fi;
	atomic { k = 0; v = 0; lg = 0; r = 0; ver = 0; ver2 = 0; key = 0 }
}

proctype faulter(byte me; byte i)
{
	byte k, v, r, ver, ver2, res, w, key;
	bit lg, cfail;
	do
	:: swapin_step(me, i);
		if
		:: res == DONE -> break
		:: else -> skip
		fi
	od;
#ifdef CHECK_P4
	finished++
#endif
}

/* ---------------------------------------------------------------- */
/* shmem_undo_range() pieces, for index j (order-0 things only) */

/* remove an order-0 value entry or folio at j (shmem_free_swap() /
 * truncate_inode_folio()); sets k, v for the step after the lock */
inline remove0(j)
{
	k = mk[j]; v = mv[j];
	if
	:: k == MARK -> lost[mo[j]] = 1; mo[j] = NONE
	:: else -> skip
	fi;
	if
	:: k == SWP || k == MARK -> swapped_sub(1)
	:: else -> skip
	fi;
	mk[j] = EMPTY; mv[j] = 0;
	logical[j] = 0
}

/* after the xa lock: free_swap_and_cache_nr(E, 1), or the handoff wake */
inline after_remove0(j)
{
	if
	:: k == SWP -> atomic { free_swap_and_cache(v) }
	:: k == MARK -> wake(j)
	:: else -> skip
	fi
}

/* truncate_inode_partial_folio() of the large folio for page j: zero the
 * page, then split_folio(), which may fail (extra reference) once: then
 * the folio is dirty and stays whole.  pt = its return value. */
inline partial_large(j)
{
	atomic {
		W(8, true);
		mv[j] = 0; logical[j] = 0;
		if
		:: large = 0; pt = 1
		:: !splitfail -> splitfail = 1; pt = 0
		fi
	}
}

/* the first pass of a punch that covers index j of the large entry but
 * not the other: find_lock_entries() omits the order-1 value or folio
 * (it begins before the start or extends beyond the end) */
#ifndef PART_REMOVES
#define PART_FIRST(j) k = EMPTY
#define PART_AFTER skip
#else
/* broken: the large marker is removed as if the punch covered it */
#define PART_FIRST(j) \
	if \
	:: mk[j] == MARK -> \
		k = MARK; lost[mo[0]] = 1; \
		mo[0] = NONE; mo[1] = NONE; \
		swapped_sub(2); \
		mk[0] = EMPTY; mk[1] = EMPTY; mv[0] = 0; mv[1] = 0; \
		large = 0; logical[j] = 0 \
	:: else -> k = EMPTY \
	fi
#define PART_AFTER if :: k == MARK -> wake(0) :: else -> skip fi
#endif

proctype punch()
{
	byte k, v, r, ver, ver2, res, w, key, kind, j;
	bit lg, pt, tpoll, cfail;
	/* the kind is chosen here: one verifier covers all of them */
	if
#if !defined(PUNCH) || PUNCH == WHOLE
	:: kind = WHOLE
#endif
#if !defined(PUNCH) || PUNCH == PUNCH0
	:: kind = PUNCH0
#endif
#if !defined(PUNCH) || PUNCH == TRUNC1
	:: kind = TRUNC1
#endif
#if !defined(PUNCH) || PUNCH == PUNCH1
	:: kind = PUNCH1
#endif
	fi;
	if
	:: kind == WHOLE ->
		/* punch [b, b+2): find_lock_entries() over both indices;
		 * shmem_free_swap() of the order-1 entry at b covers both */
		j = 0;
		do
		:: j < NI ->
			atomic {
				lg = large;
				if
				:: lg && (mk[0] == SWP || mk[0] == MARK) ->
					k = mk[0]; v = mv[0];
					if
					:: k == MARK ->
						W(13, inq[0] || inq[1]);
						lost[mo[0]] = 1
					:: else -> skip
					fi;
					mo[0] = NONE; mo[1] = NONE;
					swapped_sub(2);		/* nr_swaps_freed += 2 */
					mk[0] = EMPTY; mk[1] = EMPTY; mv[0] = 0; mv[1] = 0;
					large = 0
				:: lg && mk[0] == FOLIO ->	/* truncate_inode_folio() */
					k = FOLIO;
					mk[0] = EMPTY; mk[1] = EMPTY; mv[0] = 0; mv[1] = 0;
					large = 0
				:: else -> remove0(j)
				fi;
				if
				:: lg -> logical[0] = 0; logical[1] = 0
				:: else -> skip
				fi
			};
			if
			:: lg ->
				if
				:: k == SWP ->		/* free_swap_and_cache_nr(E0, 2) */
					atomic { free_swap_and_cache(E0); free_swap_and_cache(E0 + 1) }
				:: k == MARK -> wake(0)	/* shmem_marker_handoff_wake(b) */
				:: else -> skip
				fi
			:: else -> after_remove0(j)
			fi;
			if
			:: lg -> break
			:: else -> j++
			fi
		:: else -> break
		od
	:: kind == PUNCH0 || kind == PUNCH1 ->
		/* punch [j, j+1) of the two: the large entry is only partly
		 * covered.  First pass: find_lock_entries() omits an order-1
		 * value or folio that begins before the start or extends
		 * beyond the end; order-0 entries are removed. */
		if
		:: kind == PUNCH0 -> j = 0
		:: else -> j = 1
		fi;
		atomic {
			lg = large;
			if
			:: lg -> PART_FIRST(j)
			:: else -> remove0(j)
			fi
		};
		if
		:: lg -> PART_AFTER
		:: else -> after_remove0(j)
		fi;
		/* shmem_get_partial_folio(j): a value entry is read in with
		 * shmem_get_folio(SGP_READ): the punch waits on a marker, or
		 * swaps in (large or order 0) itself */
		atomic { k = mk[j] };
		if
		:: k == SWP || k == MARK ->
			do
			:: swapin_step(PUNCHER, j);
				if
				:: res == DONE -> break
				:: else -> skip
				fi
			od
		:: else -> skip
		fi;
		/* truncate_inode_partial_folio(folio, lstart, lend) */
		pt = 1;
		atomic {
			if
			:: mk[j] == FOLIO && !large -> remove0(j); k = EMPTY
			:: mk[j] == FOLIO && large -> k = FOLIO
			:: else -> k = EMPTY		/* NULL */
			fi
		};
		if
		:: k == FOLIO -> partial_large(j)
		:: else -> skip
		fi;
		/* second pass over [j, j+1), unless the split failed (then
		 * start = folio_next_index(), end = folio->index) */
		if
		:: pt ->
			atomic {
				lg = large;
				if
				:: lg -> k = EMPTY	/* folio zeroed already, or a value
							 * entry across the border: skipped */
				:: else -> remove0(j)
				fi
			};
			if
			:: lg -> skip
			:: else -> after_remove0(j)
			fi
		:: else -> skip
		fi
	:: kind == TRUNC1 ->
		/* shmem_setattr(): i_size_write(b+1), then
		 * shmem_truncate_range(b+1, -1): start = b+1, end = -1 */
		isz = 1;
		/* first pass at b+1 */
		atomic {
			lg = large;
			if
			:: lg -> PART_FIRST(1)	/* base b < start: omitted */
			:: else -> remove0(1)
			fi
		};
		if
		:: lg -> PART_AFTER
		:: else -> after_remove0(1)
		fi;
		/* shmem_get_partial_folio(b+1): a folio is locked and used; a
		 * value entry goes to shmem_get_folio(SGP_READ), which fails
		 * with -EINVAL: b+1 is at i_size.  (TRUNC_FIX: a value entry of
		 * order > 0 is read in at its base, which is below i_size.) */
		pt = 1;
		atomic { k = mk[1]; lg = large };
#ifdef TRUNC_FIX
		if
		:: lg && (k == SWP || k == MARK) ->
			do
			:: swapin_step(PUNCHER, 0);
				if
				:: res == DONE -> break
				:: else -> skip
				fi
			od
		:: else -> skip
		fi;
#endif
		atomic {
			if
			:: mk[1] == FOLIO && !large -> remove0(1); k = EMPTY
			:: mk[1] == FOLIO && large -> k = FOLIO
			:: else -> k = EMPTY
			fi
		};
		if
		:: k == FOLIO -> partial_large(1)
		:: else -> skip
		fi;
		/* second pass from b+1 to the end; truncation restarts until a
		 * pass finds nothing.  If the split failed, same_folio is true
		 * (lend = -1) and end = folio->index: no second pass. */
		do
		:: !pt -> break
		:: pt ->
			atomic {
				k = mk[1]; lg = large; v = mv[1];
				if
				:: k != EMPTY && !lg -> remove0(1)
				:: else -> skip
				fi
			};
			if
			:: k == EMPTY -> break
			:: k != EMPTY && !lg -> after_remove0(1)
			:: lg && k == FOLIO ->
				/* truncate_inode_partial_folio() again; a split
				 * restarts the loop, a failed one loops too */
				partial_large(1)
#ifdef TRUNC_SPLIT
			:: lg && k == SWP ->
				/* patch 0001: shmem_truncate_split_entry() splits
				 * the entry crossing start, then the loop starts
				 * over (a failed split changes nothing and is
				 * retried: not modelled) */
				W(15, true);
				split_entry(1)
			:: lg && k == MARK ->
				/* patch 0007: a large marker is waited on */
				W(14, true);
				/* v: the marker find_get_entries() returned */
				marker_wait(PUNCHER, 1, v, 0)
#else
			:: lg && (k == SWP || k == MARK) ->
				/* shmem_free_swap() returns 0: the base is
				 * below start, so the entry is skipped, and the
				 * restart finds it again: the task polls
				 * (cond_resched) until the entry changes */
				tpoll = (k == MARK);
				P7(!tpoll);
				W(14, k == MARK);
				W(15, k == SWP);
				!(large && (mk[1] == SWP || mk[1] == MARK))
#endif
			fi;
			pt = 1
		od
	fi;
#ifdef CHECK_P4
	finished++
#endif
}

/* a swap-level party on one order-0 slot of the range */
proctype party()
{
	byte s, ver;
	atomic {
		if
		:: s = E0
		:: s = E0 + 1
		fi;
		if
		:: cached[s] == 0 && sm_used[s] && sm_cnt[s] > 0 && !sm_hc[s] ->
			sm_hc[s] = 1; G6(party_pin[s] = 1)
		:: else -> s = 0
		fi
	};
	if
	:: s != 0 ->
		atomic { readers[s]++; P3(readers[s] <= 1); ver = sm_data[s] };
		atomic { readers[s]--; cached[s] = ver };
		atomic {
			if
			:: cached[s] != 0 -> cached[s] = 0; hc_put(s)
			:: else -> skip
			fi
		}
	:: else -> skip
	fi
}

/* data a finished index holds, for P2 */
#define CONTENT(j) (mk[j] == FOLIO -> mv[j] : (mk[j] == SWP -> sm_data[mv[j]] : 0))

init {
	byte data0, data1;	/* what index 0 and 1 read at the end */
	atomic {
		sm_used[1] = 1; sm_cnt[1] = 1; sm_data[1] = 1;
		sm_used[2] = 1; sm_cnt[2] = 1; sm_data[2] = 2;
		mk[0] = SWP; mv[0] = E0; mk[1] = SWP; mv[1] = E0; large = 1;
		mo[0] = NONE; mo[1] = NONE;
		logical[0] = 1; logical[1] = 2;
		swapped = 2;
#ifndef NO_F0
		run faulter(F0, 0);
#endif
		run faulter(F1, 1);
		run punch();
		run party()
	};
	(_nr_pr == 1);
	P1(!sm_used[1] && !sm_used[2]);
	P1(swapped == (mk[0] == SWP || mk[0] == MARK) + (mk[1] == SWP || mk[1] == MARK));
	d_step { data0 = CONTENT(0); data1 = CONTENT(1) };
	P2(data0 == logical[0]);
	P2(data1 == logical[1])
}

#ifdef CHECK_P4
#define LEAVES(w) (inq[w] -> <> !inq[w])
#ifndef NO_F0
#define NFIN 3
#else
#define NFIN 2
#endif
ltl p4 { [] (LEAVES(0) && LEAVES(1) && LEAVES(2)) && <> (finished == NFIN) }
#endif
