using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;

namespace AlipayBptb.Mock;

// The payer side: uploaded payment files, the accounts that may confirm them, and the balance that pays them.
public sealed partial class LocalGateway
{
    /// <summary>
    /// "Uploads" a payment file (bptb_pay_file_confirm's CSV, GBK) as the payer <paramref name="email"/> (default:
    /// the file's own 支付宝账号), at <paramref name="uploadedAt"/> (default now; earlier for a file uploaded before,
    /// since a confirmation is refused in the first 5 minutes after the upload, rules 4-1).
    /// </summary>
    public UploadedPaymentFile AddPaymentFile(string fileName, byte[] content, string? email = null, DateTime? uploadedAt = null)
    {
        FieldRules.FileName(fileName);
        UploadedPaymentFile parsed = UploadedPaymentFile.Parse(fileName, content);
        UploadedPaymentFile file = parsed.AsUploaded(string.IsNullOrEmpty(email) ? parsed.Email : email!, (uploadedAt ?? DateTime.UtcNow).ToUniversalTime());
        if (!_files.TryAdd(fileName, new UploadedFile(file)))
        {
            throw new InvalidOperationException($"A file named '{fileName}' was uploaded already (FILE_NAME_REPEAT): the file name is the batch's identity.");
        }
        return file;
    }

    public UploadedPaymentFile AddPaymentFile(string path, string? fileName = null, string? email = null, DateTime? uploadedAt = null) =>
        AddPaymentFile(fileName ?? Path.GetFileName(path), File.ReadAllBytes(path), email, uploadedAt);

    /// <summary>What is left of the payer's balance (yuan), or null when it is unlimited.</summary>
    public decimal? Balance
    {
        get
        {
            lock (_waiting)
            {
                return _balance;
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="amount"/> yuan to the payer's balance; each batch that waits for money (it got
    /// bptb_unfreeze_notify) and now fits is processed, in the order confirmed, and gets bptb_result_notify.
    /// </summary>
    public void TopUp(decimal amount)
    {
        if (amount <= 0m)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "A top-up is a positive amount.");
        }
        var ready = new List<PendingConfirm>();
        lock (_waiting)
        {
            _balance = (_balance ?? 0m) + amount;
            while (_waiting.Count > 0 && _waiting[0].Amount <= _balance)
            {
                _balance -= _waiting[0].Amount;
                ready.Add(_waiting[0].Confirm);
                _waiting.RemoveAt(0);
            }
        }
        foreach (PendingConfirm confirm in ready)
        {
            StartDelivery(confirm, balanceShort: false);
        }
    }

    /// <summary>Batches confirmed but waiting for money (bptb_unfreeze_notify sent), oldest first.</summary>
    public string[] WaitingFiles
    {
        get
        {
            lock (_waiting)
            {
                return _waiting.ConvertAll(w => w.Confirm.FileName).ToArray();
            }
        }
    }

    // The Alipay accounts this gateway knows: the payers of uploaded files, and those the options name.
    private bool IsAccount(string email)
    {
        foreach (string a in _options.Accounts)
        {
            if (string.Equals(a, email, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        foreach (UploadedFile f in _files.Values)
        {
            if (string.Equals(f.Email, email, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private sealed class UploadedFile
    {
        public UploadedFile(UploadedPaymentFile file)
        {
            File = file;
        }

        public UploadedPaymentFile File { get; }

        public string Email => File.Email;

        public bool Confirmed { get; set; }
    }
}
