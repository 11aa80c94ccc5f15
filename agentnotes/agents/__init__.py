"""Agents: answer, critic, planner, code generator, prompt optimizer. Each is a prompt from
`prompts/` plus a little code around a LangChain chat model."""
