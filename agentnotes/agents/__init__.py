"""Agents: answer, critic, planner, code generator, prompt optimizer. Each is a prompt from
`agentnotes/prompt_files/` plus a little code around a LangChain chat model."""
