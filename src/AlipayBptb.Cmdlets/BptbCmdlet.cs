using System;
using System.Management.Automation;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// What every cmdlet of the module does the same way: its format views loaded on first use, paths resolved as
/// PowerShell users expect, and the terminating errors for a charset, a key or a ledger that cannot be used.
/// </summary>
public abstract class BptbCmdlet : PSCmdlet
{
    /// <summary>Loads the format views when this invocation needs them, then runs <see cref="Begin"/>.</summary>
    protected sealed override void BeginProcessing()
    {
        if (NeedsFormatViews)
        {
            ModuleFormats.EnsureLoaded(this);
        }
        Begin();
    }

    /// <summary>
    /// False when what this invocation writes needs none of the module's views (a bool, a string, a FileInfo, or
    /// objects that carry their own default display): then the session's format table is left alone, which is most
    /// of what a one-shot script pays for the module (see ModuleFormats).
    /// </summary>
    protected virtual bool NeedsFormatViews => true;

    /// <summary>The cmdlet's own BeginProcessing.</summary>
    protected virtual void Begin()
    {
    }

    /// <summary>A path as PowerShell users expect it (relative to $PWD, ~ expanded), without requiring it to exist.</summary>
    protected string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>The charset <paramref name="name"/>; a terminating UnsupportedCharset error when there is no such charset.</summary>
    protected BptbCharset GetCharset(string name, string parameterName)
    {
        try
        {
            return BptbCharset.Get(name, parameterName);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "UnsupportedCharset", ErrorCategory.InvalidArgument, name));
            throw; // not reached: ThrowTerminatingError throws
        }
    }

    /// <summary>Stops the cmdlet for a key it cannot use: nothing can proceed without it.</summary>
    protected void ThrowKeyError(KeyFormatException ex, object? target)
    {
        (string id, ErrorCategory category) = ex.Problem switch
        {
            KeyProblem.FileNotFound => ("KeyFileNotFound", ErrorCategory.ObjectNotFound),
            KeyProblem.FileUnreadable => ("KeyFileUnreadable", ErrorCategory.ReadError),
            _ => ("InvalidKey", ErrorCategory.InvalidData),
        };
        ThrowTerminatingError(new ErrorRecord(ex, id, category, target)
        {
            ErrorDetails = new ErrorDetails(ex.Message)
            {
                RecommendedAction = "Give the key in one of the forms Get-Help about_AlipayBptb lists: PEM (PKCS#8, PKCS#1, DSA) or the bare base64 body.",
            },
        });
    }

    /// <summary>A value that breaks a field rule of the spec: the error id is the rule's (InvalidPartner, InvalidFileName, ...).</summary>
    protected static ErrorRecord FieldError(FieldRuleException ex, object? target) =>
        new(ex, ex.ErrorId, ErrorCategory.InvalidArgument, target);

    /// <summary>Stops the cmdlet for a gateway address it may not use; the target never repeats a user name or password the address held.</summary>
    protected void ThrowGatewayError(ArgumentException ex, string gateway) =>
        ThrowTerminatingError(new ErrorRecord(ex, "InvalidGateway", ErrorCategory.InvalidArgument, InputText.RedactUserInfo(gateway)));

    /// <summary>
    /// Opens the ledger -Ledger names: a file (SQLite), or a PostgreSQL URL or connection string with the password from
    /// <paramref name="credential"/> or PostgreSQL's own conventions. A file that must exist and does not stops the
    /// cmdlet (LedgerNotFound); one that need not gives null. Any other problem stops it with the ledger's error.
    /// </summary>
    protected ILedger? OpenLedger(string ledger, PSCredential? credential, bool readOnly, bool fileMustExist, ErrorCategory category)
    {
        LedgerLocation location;
        try
        {
            location = LedgerLocation.Parse(ledger, ResolvePath);
        }
        catch (ArgumentException ex)
        {
            // The target is not the text given: it may hold the password the message refuses to repeat.
            ThrowTerminatingError(new ErrorRecord(ex, "InvalidLedger", ErrorCategory.InvalidArgument, null));
            return null;
        }
        if (!location.IsPostgres)
        {
            if (credential != null)
            {
                WriteWarning($"-LedgerCredential is for a PostgreSQL ledger; '{location.Text}' is a file, which needs none.");
            }
            if (readOnly && !System.IO.File.Exists(location.Text))
            {
                if (!fileMustExist)
                {
                    return null;
                }
                var missing = new System.IO.FileNotFoundException($"The ledger '{location.Text}' does not exist: Register-BptbNotification creates it.");
                ThrowTerminatingError(new ErrorRecord(missing, "LedgerNotFound", ErrorCategory.ObjectNotFound, location.Text));
            }
        }
        try
        {
            return Ledgers.Open(location, readOnly, credential?.UserName?.TrimStart('\\'), credential?.Password);
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerError(ex, category));
            return null;
        }
    }

    /// <summary>An error whose id names the ledger's problem: LedgerNotALedger, LedgerCorrupt, LedgerTooNew, LedgerTooOld, LedgerUnavailable.</summary>
    protected static ErrorRecord LedgerError(LedgerException ex, ErrorCategory category)
    {
        ErrorCategory c = ex.Problem is LedgerProblem.NotALedger or LedgerProblem.TooNew or LedgerProblem.TooOld or LedgerProblem.Corrupt
            ? ErrorCategory.InvalidData
            : category;
        return new ErrorRecord(ex, "Ledger" + ex.Problem, c, ex.Path);
    }
}
