using System.Collections;
using Microsoft.Build.Framework;

namespace Tract7dt.Tests.Graph;

/// <summary>A build engine that records a task's errors and messages (the STYLE's mock-engine
/// habit), for calling the MSBuild tasks directly. Thread-safe: stages log from workers.</summary>
internal sealed class RecordingBuildEngine : IBuildEngine
{
    public List<BuildErrorEventArgs> Errors { get; } = [];
    public List<string> Messages { get; } = [];
    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => "test.proj";
    public void LogErrorEvent(BuildErrorEventArgs e) { lock (Errors) Errors.Add(e); }
    public void LogWarningEvent(BuildWarningEventArgs e) { lock (Messages) Messages.Add(e.Message ?? ""); }
    public void LogMessageEvent(BuildMessageEventArgs e) { lock (Messages) Messages.Add(e.Message ?? ""); }
    public void LogCustomEvent(CustomBuildEventArgs e) { }
    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;
}
