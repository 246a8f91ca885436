<#
.SYNOPSIS
    Turns the help sources in docs/en-US (markdown, one file per cmdlet, plus about_AlipayBptb.md)
    into the MAML and about_ text files PowerShell's Get-Help reads.
.DESCRIPTION
    Parameter types, positions, pipeline input and parameter sets come from the built cmdlets
    themselves; the markdown gives the words. The build fails when a cmdlet lacks a synopsis, a
    description or two examples, or when any parameter lacks a description, so help cannot drift
    from the code. Run in a fresh pwsh (build.ps1 does) because it imports the built module.

    The markdown layout (## headings are fixed):
        # Verb-Noun
        ## SYNOPSIS / ## DESCRIPTION / ## PARAMETERS (### -Name per parameter) /
        ## INPUTS / ## OUTPUTS (### TypeName, then text) / ## EXAMPLES (### Example N: title,
        a ```powershell block, then text) / ## NOTES / ## RELATED LINKS (- name or - [name](uri))
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string[]] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module $ModulePath -Force
$module = Get-Module AlipayBptb
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

# Splits markdown into sections: '## NAME' -> text, and within a section '### Name' -> text.
function Read-HelpMarkdown([string] $Path) {
    $sections = [ordered]@{}
    $current = $null
    foreach ($line in Get-Content -LiteralPath $Path -Encoding utf8) {
        if ($line -match '^## (.+)$') { $current = $Matches[1].Trim().ToUpperInvariant(); $sections[$current] = [Collections.Generic.List[string]]::new(); continue }
        if ($null -ne $current) { $sections[$current].Add($line) }
    }
    $sections
}

function Split-Subsections([Collections.Generic.List[string]] $Lines) {
    $subs = [ordered]@{}
    $name = $null
    foreach ($line in $Lines) {
        if ($line -match '^### (.+)$') { $name = $Matches[1].Trim(); $subs[$name] = [Collections.Generic.List[string]]::new(); continue }
        if ($null -ne $name) { $subs[$name].Add($line) }
    }
    $subs
}

# Paragraphs: blank-line separated, lines joined; list items and indented lines kept as their own lines.
function ConvertTo-Paragraphs([string[]] $Lines) {
    $paragraphs = [Collections.Generic.List[string]]::new()
    $buffer = [Collections.Generic.List[string]]::new()
    foreach ($line in $Lines) {
        if ([string]::IsNullOrWhiteSpace($line)) {
            if ($buffer.Count) { $paragraphs.Add(($buffer -join ' ')); $buffer.Clear() }
        } elseif ($line -match '^\s*([-*]|\d+\.)\s') {
            if ($buffer.Count) { $paragraphs.Add(($buffer -join ' ')); $buffer.Clear() }
            $paragraphs.Add($line.Trim())
        } else { $buffer.Add($line.Trim()) }
    }
    if ($buffer.Count) { $paragraphs.Add(($buffer -join ' ')) }
    # Markdown code spans and emphasis read as plain text in a console.
    $paragraphs | ForEach-Object { $_ -replace '`([^`]*)`', '$1' -replace '\*\*([^*]+)\*\*', '$1' }
}

function Add-Paras([System.Xml.XmlWriter] $w, [string[]] $Lines) {
    $w.WriteStartElement('maml', 'description', $ns.maml)
    foreach ($p in (ConvertTo-Paragraphs $Lines)) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
    $w.WriteEndElement()
}

function Get-PipelineText($p) {
    $kinds = @()
    if ($p.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($p.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

function Write-Parameter([System.Xml.XmlWriter] $w, $param, $setData, [string[]] $description) {
    $position = if ($setData.Position -ge 0) { [string]$setData.Position } else { 'named' }
    $isSwitch = $param.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $aliases = if ($param.Aliases.Count) { $param.Aliases -join ', ' } else { 'none' }
    $globbing = [bool]($param.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $w.WriteStartElement('command', 'parameter', $ns.command)
    $w.WriteAttributeString('required', ([string]$setData.IsMandatory).ToLowerInvariant())
    $w.WriteAttributeString('variableLength', 'true')
    $w.WriteAttributeString('globbing', ([string]$globbing).ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', (Get-PipelineText $setData))
    $w.WriteAttributeString('position', $position)
    $w.WriteAttributeString('aliases', $aliases)
    $w.WriteElementString('maml', 'name', $ns.maml, $param.Name)
    Add-Paras $w $description
    $valid = $param.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($valid) {
        $w.WriteStartElement('command', 'parameterValueGroup', $ns.command)
        foreach ($v in $valid.ValidValues) {
            $w.WriteStartElement('command', 'parameterValue', $ns.command); $w.WriteAttributeString('required', 'false'); $w.WriteAttributeString('variableLength', 'false'); $w.WriteString($v); $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $ns.command)
        $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($param.ParameterType.Name); $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $param.ParameterType.FullName); $w.WriteEndElement()
    $w.WriteEndElement()
}

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$problems = [Collections.Generic.List[string]]::new()
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
$stream = [IO.MemoryStream]::new()
$w = [System.Xml.XmlWriter]::Create($stream, $settings)
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')

foreach ($cmd in Get-Command -Module AlipayBptb -CommandType Cmdlet | Sort-Object Name) {
    $file = Join-Path $DocsPath "$($cmd.Name).md"
    if (-not (Test-Path $file)) { $problems.Add("$($cmd.Name): no help source at $file"); continue }
    $md = Read-HelpMarkdown $file
    # Every cmdlet is checked whole, whatever was found wrong before it: the build reports all problems at once.
    $problemsBefore = $problems.Count
    $missing = @(foreach ($required in 'SYNOPSIS', 'DESCRIPTION', 'PARAMETERS', 'EXAMPLES') {
        if (-not $md.Contains($required) -or -not ($md[$required] -join '').Trim()) { $problems.Add("$($cmd.Name): section '## $required' is missing or empty"); $required }
    })
    $paramDocs = if ($md.Contains('PARAMETERS')) { Split-Subsections $md['PARAMETERS'] } else { [ordered]@{} }
    $examples = if ($md.Contains('EXAMPLES')) { Split-Subsections $md['EXAMPLES'] } else { [ordered]@{} }
    if ('EXAMPLES' -notin $missing -and $examples.Count -lt 2) { $problems.Add("$($cmd.Name): needs at least two examples, has $($examples.Count)") }
    $hidden = @($cmd.Parameters.Values | Where-Object { $_.Attributes | Where-Object { $_ -is [Parameter] -and $_.DontShow } } | ForEach-Object Name)
    $params = $cmd.Parameters.Values | Where-Object { $_.Name -notin $common -and $_.Name -notin $hidden }
    $paramNames = @($params | ForEach-Object Name)
    if ('PARAMETERS' -notin $missing) {
        foreach ($p in $params) {
            if (-not $paramDocs.Contains("-$($p.Name)") -or -not ($paramDocs["-$($p.Name)"] -join '').Trim()) { $problems.Add("$($cmd.Name): parameter -$($p.Name) has no description") }
        }
        foreach ($documented in $paramDocs.Keys) {
            if ($documented.TrimStart('-') -notin $paramNames) { $problems.Add("$($cmd.Name): documents -$($documented.TrimStart('-')), which the cmdlet does not have") }
        }
    }
    # Examples without code are found while writing them; the rest of a cmdlet with problems need not be written.
    if ($problems.Count -gt $problemsBefore) {
        foreach ($title in $examples.Keys) {
            if (@($examples[$title] | Where-Object { $_ -match '^```' }).Count -lt 2) { $problems.Add("$($cmd.Name): '$title' has no code block") }
        }
        continue
    }

    $w.WriteStartElement('command', 'command', $ns.command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)
    $w.WriteStartElement('command', 'details', $ns.command)
    $w.WriteElementString('command', 'name', $ns.command, $cmd.Name)
    $w.WriteElementString('command', 'verb', $ns.command, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $ns.command, $cmd.Noun)
    Add-Paras $w $md['SYNOPSIS']
    $w.WriteEndElement()
    Add-Paras $w $md['DESCRIPTION']

    $w.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $ns.command)
        $w.WriteElementString('maml', 'name', $ns.maml, $cmd.Name)
        foreach ($sp in $set.Parameters | Where-Object { $_.Name -notin $common -and $_.Name -notin $hidden }) {
            Write-Parameter $w $cmd.Parameters[$sp.Name] $sp $paramDocs["-$($sp.Name)"]
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in $params) {
        # Described once, with the most telling set's attributes: mandatory anywhere wins.
        $setData = $cmd.ParameterSets.Parameters | Where-Object Name -EQ $p.Name | Sort-Object { -[int]$_.IsMandatory } | Select-Object -First 1
        Write-Parameter $w $p $setData $paramDocs["-$($p.Name)"]
    }
    $w.WriteEndElement()

    foreach ($kind in @(@{ Section = 'INPUTS'; Outer = 'inputTypes'; Inner = 'inputType' }, @{ Section = 'OUTPUTS'; Outer = 'returnValues'; Inner = 'returnValue' })) {
        if (-not $md.Contains($kind.Section)) { continue }
        $w.WriteStartElement('command', $kind.Outer, $ns.command)
        $types = Split-Subsections $md[$kind.Section]
        foreach ($t in $types.Keys) {
            $w.WriteStartElement('command', $kind.Inner, $ns.command)
            $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $t); $w.WriteEndElement()
            Add-Paras $w $types[$t]
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    if ($md.Contains('NOTES')) {
        $w.WriteStartElement('maml', 'alertSet', $ns.maml)
        $w.WriteStartElement('maml', 'alert', $ns.maml)
        foreach ($p in (ConvertTo-Paragraphs $md['NOTES'])) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
        $w.WriteEndElement(); $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $ns.command)
    foreach ($title in $examples.Keys) {
        $lines = $examples[$title]
        $start = [Array]::FindIndex([string[]]$lines, [Predicate[string]] { param($l) $l -match '^```' })
        $end = if ($start -ge 0) { [Array]::FindIndex([string[]]$lines, $start + 1, [Predicate[string]] { param($l) $l -match '^```' }) } else { -1 }
        if ($start -lt 0 -or $end -lt 0) { $problems.Add("$($cmd.Name): '$title' has no code block"); continue }
        $w.WriteStartElement('command', 'example', $ns.command)
        $w.WriteElementString('maml', 'title', $ns.maml, "-------------------------- $title --------------------------")
        $w.WriteElementString('dev', 'code', $ns.dev, (($lines[($start + 1)..($end - 1)]) -join "`n"))
        $w.WriteStartElement('dev', 'remarks', $ns.dev)
        foreach ($p in (ConvertTo-Paragraphs ($lines | Select-Object -Skip ($end + 1)))) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    if ($md.Contains('RELATED LINKS')) {
        $w.WriteStartElement('command', 'relatedLinks', $ns.command)
        foreach ($line in $md['RELATED LINKS'] | Where-Object { $_ -match '^\s*-\s+' }) {
            $text = $line -replace '^\s*-\s+', ''
            $uri = ''
            if ($text -match '^\[(.+)\]\((.+)\)$') { $text = $Matches[1]; $uri = $Matches[2] }
            $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
            $w.WriteElementString('maml', 'linkText', $ns.maml, $text)
            $w.WriteElementString('maml', 'uri', $ns.maml, $uri)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.Flush()

if ($problems.Count) {
    throw "Help sources in $DocsPath are incomplete:`n  $($problems -join "`n  ")"
}

foreach ($out in $OutputPath) {
    $null = New-Item -ItemType Directory -Force $out
    [IO.File]::WriteAllBytes((Join-Path $out 'AlipayBptb.Cmdlets.dll-Help.xml'), $stream.ToArray())
    # about_ topics: the markdown minus its title line, as plain text.
    foreach ($about in Get-ChildItem $DocsPath -Filter 'about_*.md') {
        $text = (Get-Content -LiteralPath $about.FullName -Encoding utf8 | Select-Object -Skip 1) -join [Environment]::NewLine
        $text = $text -replace '(?m)^#+ ', '' -replace '`([^`]*)`', '$1'
        Set-Content -LiteralPath (Join-Path $out "$($about.BaseName).help.txt") -Value $text -Encoding utf8
    }
}
