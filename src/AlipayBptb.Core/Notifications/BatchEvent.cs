namespace AlipayBptb.Core.Notifications;

/// <summary>What a valid callback tells about its batch (spec 5.2, 6.2, 7.3).</summary>
public enum BatchEvent
{
    /// <summary>A return with is_success=T: the payer confirmed the file.</summary>
    Confirmed,

    /// <summary>A return with is_success=F: the confirmation failed (see ResultCode).</summary>
    ConfirmFailed,

    /// <summary>bptb_unfreeze_notify: the balance was short; the batch waits for money.</summary>
    BalanceShort,

    /// <summary>bptb_result_notify: the batch was processed.</summary>
    Processed,
}
