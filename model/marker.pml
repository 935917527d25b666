/*
 * marker.pml - Promela model of the marker protocol for cache-bypass swapin
 * of shmem/tmpfs (docs/design.md section 3; explained in docs/model.md).
 *
 * One index i of one shmem mapping, NS swap slots on one SWP_SYNCHRONOUS_IO
 * device, and these processes:
 *
 *   faulter(0..NF-1)  shmem_get_folio_gfp() -> shmem_swapin_folio(): whoever
 *                     wins the claim and the pin is the bypass owner
 *                     (shmem_swapin_bypass()), the others meet the marker and
 *                     sleep in shmem_marker_wait(), or take the swap cache
 *                     path.
 *   trunc()           hole punch / truncation / eviction: shmem_undo_range()
 *                     -> shmem_free_swap() on whatever index i holds.
 *   swapoff()         try_to_unuse() -> shmem_unuse() -> shmem_swapin_folio()
 *                     on swap entries and markers until no slot is in use.
 *   party()           a swap-level party (zswap writeback / cluster
 *                     readahead): __read_swap_cache_async(skip_if_exists) on a
 *                     slot, without looking at the mapping.
 *   reswap()          second cycle of the same index: after a punch, a write
 *                     fault fills the hole with new data and reclaim swaps it
 *                     out to a (possibly reused) slot.
 *
 * Properties, each enabled by its own macro so that a run checks one:
 *   CHECK_P1  swap accounting: a slot is freed exactly once, none is left
 *             allocated at the end, info->swapped balances
 *   CHECK_P2  an owner whose marker was removed never installs; a punched
 *             index never ends up holding stale data
 *   CHECK_P3  at most one party reads a slot's data into a new folio at once
 *   CHECK_P4  (LTL) every waiter that queued itself eventually leaves the
 *             queue: no lost wake-up (pan -a -f: weak fairness)
 *   (P5)      no deadlock: pan's invalid end state check
 *   CHECK_P6  finding: no shmem task polls on a bypass owner's pin
 *   CHECK_P6B the same, except after a swap-level party held the slot
 *
 * The design's protocol is modelled by default: Claim (E -> marker(E)),
 * then Pin (swapcache_prepare), Read, Install, Release; a failed pin puts E
 * back (unclaim) and falls back to the swap cache path.
 *
 * Broken variants (each must violate its property): FREE_ON_TRUNC,
 * NO_CHECK, NO_WAKE_HANDOFF, NO_WAKE_UNCLAIM, CONST_MARKER, NO_PIN,
 * LOST_WAKE_ORDER.  Earlier orders, for the P6 finding: PIN_THEN_CLAIM,
 * PIN_RECHECK.  Other knobs: NF (2 or 3 faulters), NO_READ_ERROR,
 * WITNESS=n.
 *
 * One index, order-0 entries only.  A large swap entry claimed whole under
 * one marker, with this protocol as its fallback, is modelled in large.pml.
 */

#ifndef NF
#define NF 2			/* faulters (2 or 3), swapoff is one more */
#endif
#define SWAPOFF_ID NF		/* swapoff sleeps and owns like a faulter */
#define NW (NF + 1)		/* parties that can own or wait */
#define NS 2			/* swap slots 1..NS; 0 means "no slot" */
#define NONE 255

/* what mapping[i] holds */
#define EMPTY  0
#define SWP    1		/* swap entry, m_val = slot */
#define MARK   2		/* marker, m_val = MVAL(slot) */
#define FOLIO  3		/* folio, m_val = data version */
#define POISON 4		/* poisoned swap entry (read error) */

/* results */
#define AGAIN 0			/* -EEXIST: caller repeats the lookup */
#define DONE  1
#define OK     0
#define EEXIST 1
#define ENOENT 2
#define FAIL   3

#ifdef CONST_MARKER
#define MVAL(s) 0		/* broken: every marker looks alike */
#else
#define MVAL(s) (s)		/* marker(E) names the slot it stands for */
#endif

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
#ifdef CHECK_P6
#define P6(c) assert(c)
#else
#define P6(c) skip
#endif
#ifdef CHECK_P6B
#define P6B(c) assert(c)
#else
#define P6B(c) skip
#endif

/* Witnesses: with -DWITNESS=n, pan "fails" iff scenario n is reachable,
 * which shows the model is not vacuous (run.sh witness). */
#ifdef WITNESS
#define W(n, c) assert(WITNESS != n || !(c))
#else
#define W(n, c) skip
#endif

/* ---- the mapping slot, xa_lock'ed accesses are atomic steps ---- */
byte m_kind = EMPTY;
byte m_val = 0;
byte m_owner = NONE;		/* ghost: whose marker this really is */
byte logical = 0;		/* ghost: data version index i must read */
byte swapped = 0;		/* info->swapped for index i */

/* ---- swap_map[] and slot allocation ---- */
byte sm_cnt[NS + 1];		/* the mapping's reference (SWAP_MAP_SHMEM) */
bit sm_hc[NS + 1];		/* SWAP_HAS_CACHE */
bit sm_used[NS + 1];		/* allocated */
byte sm_data[NS + 1];		/* data version stored in the slot */
byte cached[NS + 1];		/* swap cache folio (data version), 0 = none */
byte readers[NS + 1];		/* ghost: reads of the slot in progress */
bit owner_pin[NS + 1];		/* ghost: HAS_CACHE is a bypass owner's pin */
bit party_pin[NS + 1];		/* ghost: the swap-level party pinned it once */
bit swap_on = 1;		/* SWP_WRITEOK: allocation allowed */

/* ---- per owner/waiter ---- */
bit lost[NW];			/* ghost: this party's marker was removed */
bit inq[NW];			/* on the (mapping, i) wait queue */
byte finished = 0;		/* faulters and swapoff that completed */

/* ---------------------------------------------------------------- */
/* swap_map helpers, called inside atomic steps (cluster lock held) */

inline slot_maybe_free(s)
{
	if
	:: sm_cnt[s] == 0 && !sm_hc[s] ->
		sm_used[s] = 0; sm_data[s] = 0
	:: else -> skip
	fi
}

/* swap_free_nr(E, 1) / the count drop of free_swap_and_cache_nr() */
inline swap_put(s)
{
	P1(sm_used[s] && sm_cnt[s] > 0);
	if
	:: sm_used[s] && sm_cnt[s] > 0 ->
		sm_cnt[s]--; slot_maybe_free(s)
	:: else -> skip		/* double drop: flagged by P1, then ignored */
	fi
}

/* swapcache_clear(E) / put_swap_folio(): drop SWAP_HAS_CACHE */
inline hc_put(s)
{
	P1(sm_used[s] && sm_hc[s]);
	if
	:: sm_used[s] && sm_hc[s] ->
		sm_hc[s] = 0; slot_maybe_free(s)
	:: else -> skip
	fi
}

/* free_swap_and_cache_nr(E, 1): drop the count; if only the cache is
 * left, __try_to_reclaim_swap() drops a swap cache folio if there is one
 * (there is none for a bypass owner's pin). */
inline free_swap_and_cache(s)
{
	swap_put(s);
	if
	:: sm_used[s] && sm_cnt[s] == 0 && cached[s] != 0 ->
		cached[s] = 0; hc_put(s)
	:: else -> skip
	fi
}

/* info->swapped -= 1, by whoever removes E or marker(E) from the mapping
 * without putting a swap-standing entry back */
inline swapped_dec()
{
	P1(swapped > 0);
	if
	:: swapped > 0 -> swapped--
	:: else -> skip
	fi
}

/* wake_up of the hashed queue for (mapping, i); autoremove wake function */
inline wake()
{
	d_step {
		w = 0;
		do
		:: w < NW -> inq[w] = 0; w++
		:: else -> break
		od;
		w = 0
	}
}

/* ---------------------------------------------------------------- */
/* shmem_marker_wait(): enqueue, recheck, sleep until woken, recheck */

inline marker_wait(me, mv)
{
#ifndef LOST_WAKE_ORDER
	do
	:: inq[me] = 1;				/* prepare_to_wait() */
		if
		:: (m_kind == MARK && m_val == mv) ->	/* recheck */
			(inq[me] == 0)		/* schedule() until woken */
		:: else -> break
		fi
	od;
#else
	/* broken: check, then enqueue and sleep */
	do
	:: if
		:: (m_kind == MARK && m_val == mv) -> skip
		:: else -> break
		fi;
		inq[me] = 1;
		(inq[me] == 0)
	od;
#endif
	inq[me] = 0				/* finish_wait() */
}

/* ---------------------------------------------------------------- */
/* The swap cache path of shmem_swapin_folio(), abstracted.
 *
 * install_cached: with a reference on swap cache folio c of slot s: lock
 * it, check it is still in the swap cache and shmem_confirm_swap(), then
 * shmem_add_to_page_cache(expected E), delete_from_swap_cache(),
 * swap_free_nr().  Anything changed: -EEXIST, the caller looks again. */
inline install_cached(s, c)
{
	atomic {
		if
		:: cached[s] == c && m_kind == SWP && m_val == s ->
			P2(c == logical);
			W(9, true);		/* swap cache hit installed */
			m_kind = FOLIO; m_val = c;
			swapped_dec();
			cached[s] = 0;
			hc_put(s);	/* delete_from_swap_cache */
			swap_put(s);	/* swap_free_nr */
			res = DONE
		:: else -> res = AGAIN
		fi
	}
}

/* shmem_swapin_cluster() -> __read_swap_cache_async(skip_if_exists =
 * false) for slot s: a folio in the swap cache is used; an unused slot
 * gives NULL (-> -EEXIST after shmem_confirm_swap); HAS_CACHE held with
 * no folio in the cache makes it poll, schedule_timeout_uninterruptible(1)
 * per round, until that changes.  If it could pin the slot itself it would
 * read it through the swap cache; the model instead lets the caller look
 * again (it then takes the bypass), see docs/model.md. */
inline read_swap_cache_async(me, s)
{
	do
	:: atomic {
		if
		:: cached[s] != 0 -> ver = cached[s]; break
		:: cached[s] == 0 && sm_hc[s] && sm_cnt[s] > 0 ->
			P6(!owner_pin[s]);	/* polling on a bypass owner */
			P6B(!owner_pin[s] || party_pin[s]);
			W(8, owner_pin[s])
		:: else -> ver = 0; break
		fi
	   };
	   /* asleep for a tick, again and again, until something changed */
	   !(cached[s] == 0 && sm_hc[s] && sm_cnt[s] > 0)
	od;
	if
	:: ver != 0 -> install_cached(s, ver)
	:: else -> res = AGAIN
	fi
}

/* ---------------------------------------------------------------- */
/* shmem_swapin_bypass(): Prepare / Pin / Claim / Read / Install /
 * Release / Handoff for slot s.  Step 1, Prepare (folio allocation, memcg
 * charge), touches no shared state and is left out. */

/* 2. Pin: swapcache_prepare(E, 1) -> r = OK, EEXIST or ENOENT */
inline bypass_pin(s)
{
	atomic {
		if
		:: sm_used[s] && sm_hc[s] -> r = EEXIST
		:: sm_used[s] && !sm_hc[s] && sm_cnt[s] > 0 ->
			sm_hc[s] = 1; owner_pin[s] = 1; r = OK
		:: else -> r = ENOENT
		fi
	}
}

/* 3. Claim: E -> marker(E) under the xa lock -> r = OK or FAIL */
inline bypass_claim(me, s)
{
	atomic {
		if
		:: m_kind == SWP && m_val == s ->
			m_kind = MARK; m_val = MVAL(s); m_owner = me;
			W(1, s == 1 && sm_data[1] == 2);  /* slot reused, same index */
			W(2, me == SWAPOFF_ID);		  /* swapoff owns */
			W(3, lost[0] || lost[1] || lost[2]); /* old owner still out */
			r = OK
		:: else -> r = FAIL
		fi
	}
}

/* steps 4 to 7, with the pin and the claim held; sets res */
inline bypass_read_install_release(me, s)
{
	/* 4. Read into the private folio */
	atomic {
		readers[s]++;
		P3(readers[s] <= 1);
		ver = sm_data[s]
	};
	atomic {
		readers[s]--;
#ifndef NO_READ_ERROR
		if
		:: skip
		:: ver = 0		/* !uptodate */
		fi
#else
		skip
#endif
	};
	/* 5. Install: marker(E) -> folio (or -> poisoned) */
	atomic {
		if
#ifdef NO_CHECK
		:: true ->
#else
		:: m_kind == MARK && m_val == MVAL(s) ->
#endif
			P2(!lost[me]);
			if
			:: m_kind == MARK && m_owner != me -> lost[m_owner] = 1
			:: else -> skip
			fi;
			if
			:: ver != 0 ->
				P2(ver == logical);
				m_kind = FOLIO; m_val = ver
			:: else ->
				W(5, true);
				m_kind = POISON; m_val = 0
			fi;
			swapped_dec();	/* shmem_recalc_inode(inode, 0, -1) */
			m_owner = NONE;
			r = OK
		:: else -> W(6, true); r = FAIL	/* 7. Handoff */
		fi
	};
	if
	:: r == OK -> wake()	/* waiters of (mapping, i) */
	:: else -> skip		/* the remover woke them */
	fi;
	/* 6. Release: swap_free_nr(E, 1), then swapcache_clear(E) */
	atomic { swap_put(s) };
#ifndef NO_PIN
	atomic { owner_pin[s] = 0; hc_put(s) };
#endif
	lost[me] = 0;
	if
	:: r == OK -> res = DONE
	:: else -> res = AGAIN	/* returns -EEXIST, the caller looks again */
	fi
}

#if !defined(PIN_THEN_CLAIM) && !defined(PIN_RECHECK)
/* design.md section 3: Claim (step 2), then Pin (step 3) */
inline swapin_bypass(me, s)
{
	bypass_claim(me, s);
	if
	:: r == FAIL -> res = AGAIN		/* -EEXIST: look again */
	:: r == OK ->
		/* the owner now holds the mapping's reference to E, so E
		 * cannot be freed: swapcache_prepare() cannot see -ENOENT */
#ifndef NO_PIN
		bypass_pin(s);
		P1(sm_used[s] && sm_cnt[s] > 0);
#else
		r = OK;			/* broken: no pin against swap-level parties */
#endif
		if
		:: r == OK -> bypass_read_install_release(me, s)
		:: else ->
			/* -EEXIST: a swap-level party has E.  Unclaim:
			 * marker(E) -> E under the xa lock, then wake */
			atomic {
				if
				:: m_kind == MARK && m_val == MVAL(s) ->
					W(12, inq[0] || inq[1] || inq[2]);
					m_kind = SWP; m_val = s; m_owner = NONE;
					r = OK
				:: else -> r = FAIL	/* truncated meanwhile */
				fi
			};
#ifndef NO_WAKE_UNCLAIM
			wake();
#endif
			if
			:: r == OK ->
				W(4, true);
				read_swap_cache_async(me, s)	/* -EAGAIN: fallback */
			:: else ->
				/* drop the reference truncation left us */
				W(11, true);
				atomic { free_swap_and_cache(s) };
				lost[me] = 0;
				res = AGAIN
			fi
		fi
	fi
}
#else
/* the first version of the design (and of the brief): Pin, then Claim.
 * PIN_RECHECK adds a recheck of mapping[i] after a failed pin. */
inline swapin_bypass(me, s)
{
	bypass_pin(s);
	if
	:: r == ENOENT -> res = AGAIN		/* freed under us: look again */
	:: r == EEXIST ->
#ifdef PIN_RECHECK
		if
		:: atomic { m_kind == SWP && m_val == s } ->
			read_swap_cache_async(me, s)
		:: else -> res = AGAIN		/* sleep on the marker */
		fi
#else
		/* W13: the pin failed while the owner's marker is visible */
		W(13, m_kind == MARK && m_val == MVAL(s) && owner_pin[s]);
		read_swap_cache_async(me, s)	/* fallback */
#endif
	:: r == OK ->
		bypass_claim(me, s);
		if
		:: r == FAIL ->
			/* undo the pin; frees the slot if truncation dropped
			 * its count meanwhile */
			atomic { owner_pin[s] = 0; hc_put(s) };
			res = AGAIN
		:: r == OK -> bypass_read_install_release(me, s)
		fi
	fi
}
#endif

/* one pass of shmem_get_folio_gfp() -> shmem_swapin_folio() */
inline swapin_step(me)
{
	/* filemap_get_entry(), then swap_cache_get_folio() for a swap entry */
	atomic {
		k = m_kind; v = m_val;
		if
		:: k == SWP -> ver = cached[v]
		:: else -> skip
		fi
	};
	if
	:: k == EMPTY || k == FOLIO || k == POISON -> res = DONE
	:: k == MARK -> marker_wait(me, v); res = AGAIN
	:: k == SWP && ver != 0 -> install_cached(v, ver)	/* swap cache hit */
	:: k == SWP && ver == 0 -> swapin_bypass(me, v)
	fi;
	atomic { k = 0; v = 0; r = 0; ver = 0 }
}

proctype faulter(byte me)
{
	byte k, v, r, ver, res, w;
	do
	:: swapin_step(me);
		if
		:: res == DONE -> break
		:: else -> skip
		fi
	od;
#ifdef CHECK_P4
	finished++
#endif
}

/* shmem_undo_range() -> shmem_free_swap() (or folio truncation) at i */
proctype trunc()
{
	byte k, v, w;
	atomic {
		k = m_kind; v = m_val;
		if
		:: k == MARK ->
			W(7, inq[0] || inq[1] || inq[2]);	/* waiter queued */
			lost[m_owner] = 1; m_owner = NONE
		:: else -> skip
		fi;
		if
		:: k == SWP || k == MARK -> swapped_dec()	/* nr_swaps_freed */
		:: else -> skip
		fi;
		m_kind = EMPTY; m_val = 0;
		logical = 0
	};
	if
	:: k == SWP -> atomic { free_swap_and_cache(v) }
	:: k == MARK ->
#ifdef FREE_ON_TRUNC
		atomic { free_swap_and_cache(v) };	/* broken: owner's count */
#endif
#ifndef NO_WAKE_HANDOFF
		wake()
#else
		skip
#endif
	:: else -> skip
	fi
}

/* swapoff: SWP_WRITEOK cleared, then try_to_unuse() until no slot is in
 * use. Its retry loop is modelled as blocking until there is something to
 * do; `timeout' (nothing else can move) stands for signal_pending(). */
proctype swapoff()
{
	byte k, v, r, ver, res, w, s;
	swap_on = 0;
	do
	:: atomic { !sm_used[1] && !sm_used[2] } -> break
	:: atomic { m_kind == SWP || m_kind == MARK } ->
		swapin_step(SWAPOFF_ID)		/* shmem_unuse(); -EEXIST ignored */
	:: atomic {
		/* swap cache folios of unreferenced slots: folio_free_swap() */
		(cached[1] != 0 && sm_cnt[1] == 0) || (cached[2] != 0 && sm_cnt[2] == 0) ->
		s = 1;
		do
		:: s <= NS ->
			if
			:: cached[s] != 0 && sm_cnt[s] == 0 -> cached[s] = 0; hc_put(s)
			:: else -> skip
			fi;
			s++
		:: else -> break
		od;
		s = 0
	   }
	:: timeout -> break			/* -EINTR */
	od;
#ifdef CHECK_P4
	finished++
#endif
}

/* __read_swap_cache_async(skip_if_exists = true) on one slot, then the
 * folio stays in the swap cache until reclaimed (or used by a faulter) */
proctype party()
{
	byte s, ver;
	atomic {
		if
		:: s = 1
		:: s = 2
		fi;
		if
		:: cached[s] == 0 && sm_used[s] && sm_cnt[s] > 0 && !sm_hc[s] ->
			sm_hc[s] = 1;		/* swapcache_prepare() won */
			party_pin[s] = 1
		:: else -> s = 0		/* in cache, unused or -EEXIST: skip */
		fi
	};
	if
	:: s != 0 ->
		atomic {
			readers[s]++; P3(readers[s] <= 1); ver = sm_data[s];
			W(10, s == 2)		/* reads the reused slot */
		};
		atomic { readers[s]--; cached[s] = ver };	/* read done, unlocked */
		/* zswap writeback done / reclaim: delete from swap cache */
		atomic {
			if
			:: cached[s] != 0 -> cached[s] = 0; hc_put(s)
			:: else -> skip		/* somebody took or reclaimed it */
			fi
		}
	:: else -> skip
	fi
}

/* a write fault fills the punched hole with new data (version 2) and
 * reclaim swaps it out to a free slot (either one: the freed slot can be
 * reused for the same index); after swapoff started the data stays. */
proctype reswap()
{
	byte s;
	do
	:: atomic {
		m_kind == EMPTY ->
		logical = 2;
		if
		:: swap_on && !sm_used[1] -> s = 1
		:: swap_on && !sm_used[2] -> s = 2
		:: else -> s = 0
		fi;
		if
		:: s != 0 ->
			sm_used[s] = 1; sm_cnt[s] = 1; sm_hc[s] = 0;
			sm_data[s] = 2;
			m_kind = SWP; m_val = s;
			swapped++
		:: else ->
			m_kind = FOLIO; m_val = 2
		fi;
		s = 0
	   };
	   break
	:: break				/* or it never happens */
	od
}

init {
	byte n;
	atomic {
		sm_used[1] = 1; sm_cnt[1] = 1; sm_data[1] = 1;
		m_kind = SWP; m_val = 1; logical = 1; swapped = 1;
		n = 0;
		do
		:: n < NF -> run faulter(n); n++
		:: else -> break
		od;
		run trunc();
		run swapoff();
		run party();
		run reswap();
		n = 0
	};
	(_nr_pr == 1);
	/* everything finished: nothing left allocated, no stale data */
	P1(!sm_used[1] && !sm_used[2]);
	P1(swapped == (m_kind == SWP || m_kind == MARK));
	P2(m_kind != FOLIO || m_val == logical)
}

#ifdef CHECK_P4
/* every party that put itself on the wait queue eventually leaves it, and
 * every fault (and swapoff) completes */
#define LEAVES(w) (inq[w] -> <> !inq[w])
#if NF == 2
ltl p4 { [] (LEAVES(0) && LEAVES(1) && LEAVES(2)) && <> (finished == NW) }
#elif NF == 3
ltl p4 { [] (LEAVES(0) && LEAVES(1) && LEAVES(2) && LEAVES(3)) && <> (finished == NW) }
#else
#error "the P4 formula knows NF = 2 or 3"
#endif
#endif
