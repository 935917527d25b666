/*
 * batch.pml - Promela model of the batched order-0 bypass swapin (patch
 * 0009, shmem_swapin_batch() in mm/shmem.c) on top of the marker protocol
 * of marker.pml (explained in docs/model.md, "The batch model").
 *
 * Two indices of one shmem mapping and three swap slots:
 *   index 0 holds E1 (slot 1, data version 1): the main page;
 *   index 1 holds E2 (slot 2, data version 2): the neighbour on the next
 *   slot; slot 3 is free (reswap may use it, or reuse slot 2).
 *
 *   owner()          F0: a fault at index 0.  Its order-0 bypass swapin
 *                    (claim, pin, read, install, wake, release) and, once
 *                    its folio is installed, the batch for index 1: scan
 *                    (lockless), claim (one walk under the xa lock), pin
 *                    (swapcache_prepare, may be refused), charge (may
 *                    fail), give back from the first refusal on, read (may
 *                    fail: give back, not poisoned), install over its own
 *                    marker and wake, release.
 *   faulter(1..NF)   faults at index 1: wait on whatever marker is there,
 *                    take a swap cache hit, or own an order-0 bypass
 *                    swapin of index 1 themselves (marker.pml's protocol).
 *   trunc()          hole punch of index 1: removes a swap entry (drops its
 *                    reference) or a marker (hands the slot off to the
 *                    owner, counts a pending handoff, wakes).
 *   party()          swap cache readahead (__read_swap_cache_async) on slot
 *                    2: pins it if free of HAS_CACHE, reads it into the
 *                    swap cache, and later drops it.
 *   swapoff()        SWP_WRITEOK off, then try_to_unuse(): shmem_unuse()
 *                    on both indices (own or wait like a fault; it never
 *                    batches: SGP_CACHE, no vmf), shmem_swapin_wait_
 *                    handoffs(), until no slot is in use.
 *   reswap()         after the punch: a write fills index 1 with new data
 *                    (version 3) and reclaim swaps it out to a free slot
 *                    (2 again, or 3), while swap is on.
 *
 * Properties (run.sh's numbering, as in marker.pml):
 *   CHECK_P1  slots freed exactly once, none left allocated, info->swapped
 *             and the handoff count balance; swapoff sound: once it has
 *             succeeded nobody reads the device and nothing is pending
 *   CHECK_P2  no install by an owner (single or batch) whose marker was
 *             removed; every install and every lookup that returns a page
 *             gives the data the index must read (a hole after a punch)
 *   CHECK_P3  at most one read of a slot into a new folio at a time
 *   CHECK_P4  (LTL) every queued waiter leaves the queue; every task ends,
 *             swapoff successfully
 *   (P5)      no invalid end state
 *
 * Broken variants: BATCH_NO_WAKE_INSTALL, BATCH_GIVEBACK_NO_FREE,
 * BATCH_NO_PIN, BATCH_CLAIM_UNCHECKED.  Knobs: NF (faulters at index 1,
 * 1 or 2), NO_RESWAP, WITNESS=n.
 */

#ifndef NF
#define NF 1			/* faulters at index 1 */
#endif
#define F0 0			/* the batch owner, faulting at index 0 */
#define SO (NF + 1)		/* swapoff's id as owner/waiter */
#define NW (NF + 2)		/* parties that can own or wait */
#define NS 3			/* slots 1..3 */
#define NONE 255

/* what an index holds */
#define EMPTY  0
#define SWP    1		/* swap entry, value = slot */
#define MARK   2		/* marker, value = slot it stands for */
#define FOLIO  3		/* folio, value = data version */

#define AGAIN 0
#define DONE  1
#define OK     0
#define EEXIST 1
#define ENOENT 2
#define FAIL   3

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
#ifdef WITNESS
#define W(n, c) assert(WITNESS != n || !(c))
#else
#define W(n, c) skip
#endif

/* ---- the mapping: indices 0 and 1 ---- */
byte mk[2];			/* EMPTY, SWP, MARK, FOLIO */
byte mv[2];			/* slot, or data version of a folio */
byte mo[2];			/* ghost: whose marker */
byte logical[2];		/* ghost: the data version the index must read */
byte swapped = 0;		/* info->swapped */

/* ---- swap_map[] ---- */
byte sm_cnt[NS + 1];		/* the mapping's reference (SWAP_MAP_SHMEM) */
bit sm_hc[NS + 1];		/* SWAP_HAS_CACHE */
bit sm_used[NS + 1];
byte sm_data[NS + 1];		/* data version stored in the slot */
byte cached[NS + 1];		/* swap cache folio (version), 0 = none */
byte readers[NS + 1];		/* ghost: reads in progress */
bit swap_on = 1;
byte hoff = 0;			/* shmem_handoffs_pending[type] */
bit so_ok = 0;			/* ghost: swapoff succeeded */

/* ---- per owner/waiter ---- */
bit lost[NW];			/* ghost: this party's marker was removed */
bit inq[NW];			/* on a wait queue */
bit qk[NW];			/* ... of this index (the hashed key) */
byte finished = 0;

/* ---------------------------------------------------------------- */

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

inline free_swap_and_cache(s)
{
	swap_put(s);
	if
	:: sm_used[s] && sm_cnt[s] == 0 && cached[s] != 0 ->
		cached[s] = 0; hc_put(s)
	:: else -> skip
	fi
}

inline swapped_dec()
{
	P1(swapped > 0);
	if
	:: swapped > 0 -> swapped--
	:: else -> skip
	fi
}

/* shmem_swapin_handoff_done(): the owner of a removed marker has freed
 * the slot; swapoff's wait_var_event() sees the count */
inline handoff_done()
{
	P1(hoff > 0);
	if
	:: hoff > 0 -> hoff--
	:: else -> skip
	fi
}

/* a read of slot s into a new folio, in two steps; ver = data read */
inline read_slot(s)
{
	atomic {
		P1(!so_ok);		/* swapoff sound: no read after it */
		readers[s]++;
		P3(readers[s] <= 1);
		ver = sm_data[s]
	};
	atomic { readers[s]-- }
}

/* shmem_marker_wake(mapping, j): dequeue the waiters keyed on j */
inline wake(j)
{
	d_step {
		w = 0;
		do
		:: w < NW -> if :: qk[w] == j -> inq[w] = 0 :: else -> skip fi; w++
		:: else -> break
		od;
		w = 0
	}
}

/* shmem_marker_wait(): enqueue, recheck, sleep until woken */
inline marker_wait(me, j, mvv)
{
	do
	:: atomic { inq[me] = 1; qk[me] = j };
		if
		:: (mk[j] == MARK && mv[j] == mvv) -> (inq[me] == 0)
		:: else -> break
		fi
	od;
	atomic { inq[me] = 0; qk[me] = 0 }
}

/* ---------------------------------------------------------------- */
/* the swap cache path (see marker.pml) */

inline install_cached(j, s, c)
{
	atomic {
		if
		:: cached[s] == c && mk[j] == SWP && mv[j] == s ->
			P2(c == logical[j]);
			W(10, true);
			mk[j] = FOLIO; mv[j] = c;
			swapped_dec();
			cached[s] = 0;
			hc_put(s);
			swap_put(s);
			res = DONE
		:: else -> res = AGAIN
		fi
	}
}

inline read_swap_cache_async(j, s)
{
	do
	:: atomic {
		if
		:: cached[s] != 0 -> ver = cached[s]; break
		:: cached[s] == 0 && sm_hc[s] && sm_cnt[s] > 0 -> skip
		:: else -> ver = 0; break
		fi
	   };
	   !(cached[s] == 0 && sm_hc[s] && sm_cnt[s] > 0)
	od;
	if
	:: ver != 0 -> install_cached(j, s, ver)
	:: else -> res = AGAIN
	fi
}

/* swapcache_prepare(E, 1) -> r */
inline pin(s)
{
	atomic {
		P1(!so_ok);		/* swapoff sound: no pin after it */
		if
		:: sm_used[s] && sm_hc[s] -> r = EEXIST
		:: sm_used[s] && !sm_hc[s] && sm_cnt[s] > 0 -> sm_hc[s] = 1; r = OK
		:: else -> r = ENOENT
		fi
	}
}

/* ---------------------------------------------------------------- */
/* the single order-0 bypass of index j, slot s (marker.pml, without its
 * read error and the old orders): claim, pin or unclaim, read, install,
 * wake, release, handoff.  Sets res. */
inline swapin_bypass(me, j, s)
{
	atomic {
		if
		:: mk[j] == SWP && mv[j] == s ->
			mk[j] = MARK; mo[j] = me; r = OK
		:: else -> r = FAIL
		fi
	};
	if
	:: r == FAIL -> res = AGAIN
	:: r == OK ->
		pin(s);
		if
		:: r == OK ->
			read_slot(s);
			atomic {
				if
				:: mk[j] == MARK && mv[j] == s ->
					P2(!lost[me]);
					P2(ver == logical[j]);
					mk[j] = FOLIO; mv[j] = ver; mo[j] = NONE;
					swapped_dec();
					r = OK
				:: else -> r = FAIL
				fi
			};
			if
			:: r == OK -> wake(j)
			:: else -> skip
			fi;
			atomic { swap_put(s) };
			atomic { hc_put(s) };
			if
			:: r == OK -> res = DONE
			:: else -> handoff_done(); res = AGAIN
			fi
		:: else ->
			/* unclaim: marker -> E, wake; if truncated: drop E */
			atomic {
				if
				:: mk[j] == MARK && mv[j] == s ->
					mk[j] = SWP; mo[j] = NONE; r = OK
				:: else -> r = FAIL
				fi
			};
			wake(j);
			if
			:: r == OK -> read_swap_cache_async(j, s)
			:: else ->
				atomic { free_swap_and_cache(s) };
				handoff_done();
				res = AGAIN
			fi
		fi;
		lost[me] = 0
	fi
}

/* one pass of shmem_get_folio_gfp() at index j; sets res, and byp = 1 if
 * this task installed its own bypass folio (the batch's condition) */
inline swapin_step(me, j)
{
	atomic {
		k = mk[j]; v = mv[j];
		/* a lookup that returns a page returns the right one (P2) */
		P2(k != FOLIO || v == logical[j]);
		P2(k != EMPTY || logical[j] == 0);
		if
		:: k == SWP -> ver = cached[v]
		:: else -> skip
		fi
	};
	if
	:: k == EMPTY || k == FOLIO -> res = DONE
	:: k == MARK -> marker_wait(me, j, v); res = AGAIN
	:: k == SWP && ver != 0 -> install_cached(j, v, ver)
	:: k == SWP && ver == 0 ->
		swapin_bypass(me, j, v);
		if
		:: res == DONE -> byp = 1
		:: else -> skip
		fi
	fi;
	atomic { k = 0; v = 0; r = 0; ver = 0 }
}

proctype faulter(byte me)
{
	byte k, v, r, ver, res, w;
	bit byp;
	do
	:: swapin_step(me, 1);
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
/* shmem_swapin_batch() for index 1, slot 2: the neighbour of (0, E1) */

/* shmem_batch_give_back(): marker -> E2 (shmem_marker_replace, wakes);
 * if the marker is gone, truncation left us the reference: free it and
 * signal the handoff done */
inline batch_give_back()
{
	atomic {
		if
		:: mk[1] == MARK && mv[1] == 2 ->
			W(6, inq[1] || inq[SO]);
			mk[1] = SWP; mo[1] = NONE; r = OK
		:: else -> r = FAIL
		fi
	};
	wake(1);
	if
	:: r == FAIL ->
		W(4, true);
#ifndef BATCH_GIVEBACK_NO_FREE
		atomic { free_swap_and_cache(2) };
		handoff_done()
#else
		skip
#endif
	:: else -> skip
	fi
}

inline batch_unpin()
{
#ifndef BATCH_NO_PIN
	atomic { hc_put(2) }
#else
	skip
#endif
}

inline swapin_batch()
{
	/* shmem_batch_scan(): a lockless look at index 1 and swap_map[E2] */
	atomic {
		nr = (mk[1] == SWP && mv[1] == 2 && sm_used[2] &&
		      sm_cnt[2] == 1 && !sm_hc[2])
	};
	if
	:: nr ->
		/* (the allocation of the neighbour's folio: private) */
		/* shmem_batch_claim(): one walk under the xa lock */
		atomic {
			if
#ifndef BATCH_CLAIM_UNCHECKED
			:: mk[1] == SWP && mv[1] == 2 ->
#else
			:: true ->		/* broken: stores without the check */
				if
				:: mk[1] == MARK && mo[1] != NONE -> lost[mo[1]] = 1
				:: else -> skip
				fi;
#endif
				P1(!so_ok);	/* swapoff sound: no claim after it */
				mk[1] = MARK; mv[1] = 2; mo[1] = F0;
				W(1, true);
				r = OK
			:: else -> W(2, true); r = FAIL	/* claims nothing */
			fi
		};
		if
		:: r == OK ->
			/* pin, then charge: the batch ends at the first refusal */
#ifndef BATCH_NO_PIN
			pin(2);
			/* the claim holds the mapping's reference: E2 is in use */
			P1(sm_used[2] && sm_cnt[2] > 0);
#else
			r = OK;		/* broken: readahead can cache E2 meanwhile */
#endif
			if
			:: r == OK ->
				if
				:: skip		/* charged */
				:: W(7, true); batch_unpin(); r = FAIL	/* charge fails */
				fi
			:: else -> W(3, true); skip	/* swapcache_prepare refused */
			fi;
			if
			:: r != OK -> batch_give_back()
			:: else ->
				/* shmem_batch_install(): read, then install */
				read_slot(2);
				if
				:: skip
				:: W(8, true); ver = 0	/* !uptodate: give back */
				fi;
				if
				:: ver == 0 -> batch_unpin(); batch_give_back()
				:: else ->
					atomic {
						if
						:: mk[1] == MARK && mv[1] == 2 ->
							P2(!lost[F0]);
							P2(ver == logical[1]);
							W(9, inq[1] || inq[SO]);
							mk[1] = FOLIO; mv[1] = ver; mo[1] = NONE;
							swapped_dec();
							r = OK
						:: else -> r = FAIL	/* -EEXIST */
						fi
					};
					if
					:: r == OK ->
#ifndef BATCH_NO_WAKE_INSTALL
						wake(1);
#endif
						atomic { swap_put(2) };
						batch_unpin()
					:: else ->
						W(5, true);
						atomic { swap_put(2) };
						batch_unpin();
						handoff_done()
					fi
				fi
			fi;
			lost[F0] = 0
		:: else -> skip
		fi
	:: else -> skip
	fi
}

proctype owner()
{
	byte k, v, r, ver, res, w, nr;
	bit byp = 0;
	do
	:: swapin_step(F0, 0);
		if
		:: res == DONE -> break
		:: else -> skip
		fi
	od;
	/* shmem_swapin_folio(): a bypass that installed its folio batches */
	if
	:: byp -> swapin_batch()
	:: else -> skip
	fi;
	atomic { nr = 0; r = 0; ver = 0 };
#ifdef CHECK_P4
	finished++
#endif
}

/* hole punch of index 1: shmem_undo_range() -> shmem_free_swap() */
proctype trunc()
{
	byte k, v, w;
	atomic {
		k = mk[1]; v = mv[1];
		if
		:: k == MARK ->
			if
			:: mo[1] != NONE -> lost[mo[1]] = 1
			:: else -> skip
			fi;
			mo[1] = NONE;
			hoff++		/* shmem_marker_handoff_locked() */
		:: else -> skip
		fi;
		if
		:: k == SWP || k == MARK -> swapped_dec()
		:: else -> skip
		fi;
		mk[1] = EMPTY; mv[1] = 0;
		logical[1] = 0
	};
	if
	:: k == SWP -> atomic { free_swap_and_cache(v) }
	:: k == MARK -> wake(1)
	:: else -> skip
	fi
}

/* swapoff: SWP_WRITEOK cleared, then try_to_unuse() until no slot is in
 * use; shmem_unuse() swaps in (or waits on) what the mapping holds and
 * then sleeps until no handoff is pending.  `timeout' is -EINTR. */
proctype swapoff()
{
	byte k, v, r, ver, res, w;
	bit byp;
	swap_on = 0;
	do
	:: atomic {
		!sm_used[1] && !sm_used[2] && !sm_used[3] && hoff == 0 ->
		so_ok = 1;
		/* swapoff sound: nothing of the device is left in the mapping */
		P1(!so_ok || (mk[0] != SWP && mk[0] != MARK && mk[1] != SWP &&
			mk[1] != MARK && hoff == 0))
	   };
	   break
	:: atomic { mk[0] == SWP || mk[0] == MARK } -> swapin_step(SO, 0)
	:: atomic { mk[1] == SWP || mk[1] == MARK } ->
		W(11, mk[1] == MARK && mo[1] == F0);
		swapin_step(SO, 1)
	:: atomic {
		cached[2] != 0 && sm_cnt[2] == 0 -> cached[2] = 0; hc_put(2)
	   }
	:: timeout -> break
	od;
#ifdef CHECK_P4
	if
	:: so_ok -> finished++
	:: else -> skip		/* -EINTR: never counts as finished */
	fi
#endif
}

/* swap cache readahead on slot 2 (skip_if_exists): pins it if it can,
 * reads it into the swap cache; later reclaim drops the folio */
proctype party()
{
	byte ver;
	bit got = 0;
	atomic {
		if
		:: cached[2] == 0 && sm_used[2] && sm_cnt[2] > 0 && !sm_hc[2] ->
			sm_hc[2] = 1; got = 1
		:: else -> skip
		fi
	};
	if
	:: got ->
		atomic {
			readers[2]++; P3(readers[2] <= 1); ver = sm_data[2]
		};
		atomic { readers[2]--; cached[2] = ver };
		atomic {
			if
			:: cached[2] != 0 -> cached[2] = 0; hc_put(2)
			:: else -> skip
			fi
		}
	:: else -> skip
	fi
}

/* after the punch a write fills index 1 (version 3), and reclaim swaps it
 * out to a free slot: 2 (reused for the same index) or 3 */
proctype reswap()
{
	byte s;
	do
	:: atomic {
		mk[1] == EMPTY ->
		logical[1] = 3;
		if
		:: swap_on && !sm_used[2] -> s = 2
		:: swap_on && !sm_used[3] -> s = 3
		:: else -> s = 0
		fi;
		if
		:: s != 0 ->
			W(12, s == 2);
			sm_used[s] = 1; sm_cnt[s] = 1; sm_hc[s] = 0;
			sm_data[s] = 3;
			mk[1] = SWP; mv[1] = s;
			swapped++
		:: else -> mk[1] = FOLIO; mv[1] = 3
		fi;
		s = 0
	   };
	   break
	:: break
	od
}

init {
	byte n;
	atomic {
		sm_used[1] = 1; sm_cnt[1] = 1; sm_data[1] = 1;
		sm_used[2] = 1; sm_cnt[2] = 1; sm_data[2] = 2;
		mk[0] = SWP; mv[0] = 1; logical[0] = 1; mo[0] = NONE;
		mk[1] = SWP; mv[1] = 2; logical[1] = 2; mo[1] = NONE;
		swapped = 2;
		run owner();
		n = 1;
		do
		:: n <= NF -> run faulter(n); n++
		:: else -> break
		od;
		run trunc();
		run swapoff();
		run party();
#ifndef NO_RESWAP
		run reswap();
#endif
		n = 0
	};
	(_nr_pr == 1);
	/* everything finished */
	P1(!sm_used[1] && !sm_used[2] && !sm_used[3]);
	P1(hoff == 0);
	P1(swapped == (mk[0] == SWP || mk[0] == MARK) + (mk[1] == SWP || mk[1] == MARK));
	P1(mk[0] != MARK && mk[1] != MARK);
	P2(mk[0] != FOLIO || mv[0] == logical[0]);
	P2(mk[1] != FOLIO || mv[1] == logical[1]);
	P2(mk[1] != EMPTY || logical[1] == 0)
}

#ifdef CHECK_P4
#define LEAVES(w) (inq[w] -> <> !inq[w])
#if NF == 1
ltl p4 { [] (LEAVES(0) && LEAVES(1) && LEAVES(2)) && <> (finished == NW) }
#elif NF == 2
ltl p4 { [] (LEAVES(0) && LEAVES(1) && LEAVES(2) && LEAVES(3)) && <> (finished == NW) }
#else
#error "the P4 formula knows NF = 1 or 2"
#endif
#endif
