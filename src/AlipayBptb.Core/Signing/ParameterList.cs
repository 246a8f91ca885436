using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// The parameters of a request, a return or a notification, in the order they arrived, values decoded.
/// Small (a dozen entries), so look-ups scan; a key appears once (the reader refuses repeats).
/// </summary>
public sealed class ParameterList : IEnumerable<KeyValuePair<string, string>>
{
    private string[] _keys;
    private string[] _values;

    public ParameterList(int capacity = 12)
    {
        _keys = new string[Math.Max(capacity, 1)];
        _values = new string[_keys.Length];
    }

    public int Count { get; private set; }

    public string KeyAt(int index) => _keys[index];

    public string ValueAt(int index) => _values[index];

    /// <summary>Adds a parameter; returns false when the key is already present.</summary>
    public bool TryAdd(string key, string value)
    {
        if (IndexOf(key) >= 0)
        {
            return false;
        }
        if (Count == _keys.Length)
        {
            Array.Resize(ref _keys, Count * 2);
            Array.Resize(ref _values, Count * 2);
        }
        _keys[Count] = key;
        _values[Count] = value;
        Count++;
        return true;
    }

    public int IndexOf(string key)
    {
        for (int i = 0; i < Count; i++)
        {
            if (string.Equals(_keys[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The value of <paramref name="key"/>, or null when absent.</summary>
    public string? this[string key]
    {
        get
        {
            int i = IndexOf(key);
            return i < 0 ? null : _values[i];
        }
    }

    /// <summary>A copy as an ordered dictionary (key order as received), for PowerShell users.</summary>
    public OrderedDictionary ToOrderedDictionary()
    {
        var d = new OrderedDictionary(Count, StringComparer.Ordinal);
        for (int i = 0; i < Count; i++)
        {
            d.Add(_keys[i], _values[i]);
        }
        return d;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return new KeyValuePair<string, string>(_keys[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
