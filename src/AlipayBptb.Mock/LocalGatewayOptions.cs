namespace AlipayBptb.Mock;

/// <summary>What the stand-in gateway knows: the partner and its keys, the payer, and how fast time runs.</summary>
public sealed class LocalGatewayOptions
{
    public string Partner { get; set; } = string.Empty;

    /// <summary>The partner's MD5 security code, to check MD5 requests and sign MD5 answers.</summary>
    public string? Md5Key { get; set; }

    /// <summary>The merchant's RSA or DSA public key (PEM or bare base64), to check RSA or DSA requests.</summary>
    public string? MerchantPublicKey { get; set; }

    /// <summary>"Alipay's" RSA private key (PEM) to sign what it sends; generated when not given.</summary>
    public string? AlipayPrivateKey { get; set; }

    /// <summary>The payer account's payment password (支付密码), asked on the confirm page.</summary>
    public string PaymentPassword { get; set; } = string.Empty;

    /// <summary>
    /// The payer's balance in yuan: each processed batch takes its amount from it, and a batch that pays more
    /// than is left gets bptb_unfreeze_notify and waits until <see cref="LocalGateway.TopUp"/>. Null: enough for anything.
    /// </summary>
    public decimal? Balance { get; set; }

    /// <summary>Alipay accounts that exist besides the payers of uploaded files: a confirm request for any other email is USER_NOT_EXIST.</summary>
    public string[] Accounts { get; set; } = System.Array.Empty<string>();

    /// <summary>
    /// Scales the gateway's clock: the notification retry schedule (2m, 10m, 10m, 1h, 2h, 6h, 15h) and the
    /// confirm window after an upload (at least 5 minutes, at most 15 days): 0.001 makes 2 minutes 120 ms.
    /// </summary>
    public double TimeFactor { get; set; } = 1.0;

    /// <summary>The port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }
}
