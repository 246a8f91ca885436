using System;
using System.Management.Automation;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>Verifies returns (spec 5) and notifications (spec 6): one result per input, the pipeline never stops for a bad one.</summary>
[Cmdlet(VerbsDiagnostic.Test, "BptbNotification", DefaultParameterSetName = KeySet)]
[OutputType(typeof(NotificationResult))]
[OutputType(typeof(bool))]
public sealed class TestBptbNotificationCommand : VerifyingKeyCmdlet, IDisposable
{
    private Signer? _signer;
    private NotificationVerifier? _verifier;

    // Not Mandatory: the binder re-checks mandatory parameters for every pipeline object, a measurable
    // share of the per-line cost over a million-line log; ProcessRecord reports a missing input itself.
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    [AllowNull]
    public object? InputObject { get; set; }

    // -Path and -LiteralPath take no pipeline input by property name: the binder would look those names up
    // on every string piped in (Get-Content's lines carry note properties), which measured 5 µs a line,
    // more than verifying it. Files are given by name or wildcard instead.

    /// <summary>Log files to read, wildcards allowed; plain or gzip-compressed.</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    [Parameter]
    [Alias("LP")]
    public string[]? LiteralPath { get; set; }

    [Parameter]
    public SignType[]? SignType { get; set; }

    [Parameter]
    public string? Partner { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(CharsetCompleter))]
    public string Charset { get; set; } = "utf-8";

    [Parameter]
    public SwitchParameter Quiet { get; set; }

    // -Quiet writes bools, which need no view.
    protected override bool NeedsFormatViews => !Quiet;

    protected override void Begin()
    {
        BptbCharset charset = GetCharset(Charset, nameof(Charset));
        _signer = LoadVerifyingKey()!; // one key parameter is mandatory in every set
        try
        {
            _verifier = new NotificationVerifier(new[] { _signer }, SignType, Partner, charset);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "SignTypeMismatch", ErrorCategory.InvalidArgument, SignType));
        }
        WriteVerbose($"Verifying with a {_signer.SignType}{(_signer.KeySize > 0 ? $" ({_signer.KeySize}-bit)" : string.Empty)} key; accepting sign_type {string.Join(", ", _verifier!.Accepted)}; signed bytes and escapes in {charset.Name}.");
    }

    protected override void ProcessRecord()
    {
        string[]? paths = Path;
        string[]? literal = LiteralPath;
        if (paths != null || literal != null)
        {
            foreach (string file in ResolveFiles(paths, literal))
            {
                ReadLog(file);
            }
            return;
        }
        if (InputObject == null)
        {
            WriteError(Errors.Unreadable(string.Empty, "there is no input (pipe strings, dictionaries or objects, or give -Path)"));
            return;
        }
        ParameterRead read = InputParameters.Read(InputObject, _verifier!.Charset);
        if (read.IsUnreadable)
        {
            WriteError(Errors.Unreadable(InputObject, read.Problem!));
            return;
        }
        NotificationResult result = _verifier.Verify(read);
        if ((InputObject is PSObject pso ? pso.BaseObject : InputObject) is NotificationResult earlier)
        {
            // Checked again (another key, another -Partner): where it came from and what the receiver was told stay.
            result.CopyOrigin(earlier);
        }
        Write(result);
    }

    private void Write(NotificationResult result)
    {
        if (!result.IsValid)
        {
            WriteVerbose($"Invalid {result.Kind} '{result.FileName ?? result.NotifyId}'{(result.Source == null ? string.Empty : $" ({result.Source}:{result.LineNumber})")}: {result.Reason}. Sign string: {result.SignString}");
        }
        if (Quiet)
        {
            WriteObject(result.IsValid);
        }
        else
        {
            WriteObject(result);
        }
    }

    // Streams one log: a result per line, an error per unreadable line (naming file and line), progress by
    // bytes. A .gz file that stops short of its trailer is an error after the lines it gave; a plain file's
    // last line without a newline (the log still being written) is left for the next run, with a warning.
    private void ReadLog(string file)
    {
        var progress = new ProgressRecord(1, "Test-BptbNotification", $"Reading {file}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long nextReport = 0;
        LogReader? reader = null;
        try
        {
            reader = LogReader.Open(file);
            long length = reader.Length;
            while (reader.TryRead(out LogLine line))
            {
                if (line.Problem != null)
                {
                    WriteError(Errors.Unreadable(line.Text, line.Problem, $"{file}:{line.Number}"));
                }
                else
                {
                    NotificationResult? result = _verifier!.Verify(line.Text, out string? unreadable);
                    if (result == null)
                    {
                        WriteError(Errors.Unreadable(line.Text, unreadable!, $"{file}:{line.Number}"));
                    }
                    else
                    {
                        result.Source = file;
                        result.LineNumber = line.Number;
                        Write(result);
                    }
                }
                // Write-Progress at most four times a second: a million calls would cost more than the work.
                if (clock.ElapsedMilliseconds >= nextReport)
                {
                    nextReport = clock.ElapsedMilliseconds + 250;
                    progress.PercentComplete = length > 0 ? (int)Math.Min(100, line.BytesRead * 100 / length) : 0;
                    progress.StatusDescription = $"{line.Number:N0} lines, {line.BytesRead / 1048576.0:N1} of {length / 1048576.0:N1} MB";
                    WriteProgress(progress);
                }
            }
            if (reader.UnterminatedLength > 0)
            {
                WriteWarning($"{file}:{reader.LinesRead + 1}: the last line has no newline yet ({reader.UnterminatedLength} bytes): the log may still be being written, so the line is left for the next run.");
            }
        }
        catch (LogTruncatedException ex)
        {
            WriteError(new ErrorRecord(ex, "LogTruncated", ErrorCategory.ReadError, file));
        }
        catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException || ex is System.IO.InvalidDataException)
        {
            WriteError(new ErrorRecord(ex, "LogUnreadable", ErrorCategory.ReadError, file));
        }
        finally
        {
            reader?.Dispose();
        }
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }

    // Files to read, in the order given. What is not a file gets its own non-terminating error, so one bad
    // name never costs the results of the others; a directory a wildcard happens to match is passed over.
    private System.Collections.Generic.IEnumerable<string> ResolveFiles(string[]? paths, string[]? literal)
    {
        var files = new System.Collections.Generic.List<string>();
        foreach (string p in paths ?? Array.Empty<string>())
        {
            System.Collections.ObjectModel.Collection<string> resolved;
            ProviderInfo provider;
            try
            {
                resolved = GetResolvedProviderPathFromPSPath(p, out provider);
            }
            catch (SessionStateException ex)
            {
                // ItemNotFound, and also DriveNotFound and ProviderNotFound, which would otherwise stop the pipeline.
                WriteError(new ErrorRecord(ex, "LogNotFound", ErrorCategory.ObjectNotFound, p));
                continue;
            }
            if (!IsFileSystem(provider, p))
            {
                continue;
            }
            bool wildcard = WildcardPattern.ContainsWildcardCharacters(p);
            int before = files.Count;
            foreach (string r in resolved)
            {
                if (System.IO.Directory.Exists(r))
                {
                    if (wildcard)
                    {
                        WriteVerbose($"Skipping the directory '{r}' (matched by '{p}'): only files are read.");
                    }
                    else
                    {
                        WriteError(DirectoryError(p));
                    }
                    continue;
                }
                files.Add(r);
            }
            if (wildcard && files.Count == before)
            {
                WriteVerbose($"'{p}' matches no file.");
            }
        }
        foreach (string p in literal ?? Array.Empty<string>())
        {
            string resolved;
            ProviderInfo provider;
            try
            {
                resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(p, out provider, out _);
            }
            catch (SessionStateException ex)
            {
                WriteError(new ErrorRecord(ex, "LogNotFound", ErrorCategory.ObjectNotFound, p));
                continue;
            }
            if (!IsFileSystem(provider, p))
            {
                continue;
            }
            if (System.IO.Directory.Exists(resolved))
            {
                WriteError(DirectoryError(p));
            }
            else if (System.IO.File.Exists(resolved))
            {
                files.Add(resolved);
            }
            else
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"The log '{p}' does not exist."), "LogNotFound", ErrorCategory.ObjectNotFound, p));
            }
        }
        return files;

        static ErrorRecord DirectoryError(string path) =>
            new(new System.IO.IOException($"The log '{path}' is a directory, not a file: give the files in it (a wildcard such as '{System.IO.Path.Combine(path, "*.log")}' skips directories)."), "LogIsDirectory", ErrorCategory.InvalidArgument, path);

        // Env:, Cert:, HKLM: and the like resolve to names that are no files; opened as files, they would be read
        // relative to the process's working directory, some other file entirely.
        bool IsFileSystem(ProviderInfo provider, string path)
        {
            if (provider.ImplementingType == typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
            {
                return true;
            }
            WriteError(new ErrorRecord(new ArgumentException($"The log '{path}' is in the {provider.Name} provider, not the file system."), "LogNotInFileSystem", ErrorCategory.InvalidArgument, path));
            return false;
        }
    }

    protected override void EndProcessing() => Dispose();

    public void Dispose()
    {
        _signer?.Dispose();
        _signer = null;
    }
}
