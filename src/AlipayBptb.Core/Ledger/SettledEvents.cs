using System.Collections.Generic;

namespace AlipayBptb.Core.Ledger;

/// <summary>The settled states of claims a ledger already looked up in this run.</summary>
internal enum ClaimState
{
    /// <summary>Claimed by this run, handled by another, or never claimed: not new to this run, and never will be.</summary>
    Settled,

    /// <summary>Claimed by another run that is still alive: not new now, but it may become abandoned.</summary>
    Live,

    /// <summary>Claimed by a run that ended or died before getting past it: new again.</summary>
    Abandoned,
}

/// <summary>
/// The batch events (payment file and event) this ledger instance knows are settled for its run, so that the
/// thousands of notifications of one payment file ask the store about its event once, not once each. A settled
/// claim cannot change while the run lives: only an ended or dead run's claims are taken over. Bounded, so that a
/// log of a million payment files keeps memory flat: when full it starts again (a lookup is only a cache miss).
/// </summary>
internal sealed class SettledEvents
{
    private const int Capacity = 65536;
    private readonly HashSet<(string File, string Event)> _settled = new();

    public bool Contains(string fileName, string eventName) => _settled.Contains((fileName, eventName));

    public void Add(string fileName, string eventName)
    {
        if (_settled.Count >= Capacity)
        {
            _settled.Clear();
        }
        _settled.Add((fileName, eventName));
    }

    /// <summary>Forgets everything: a batch that rolled back may have added events that are not on disk.</summary>
    public void Clear() => _settled.Clear();
}
